import { defineConfig } from 'vitest/config'

// The slow end-to-end suites (child processes on a real server): `pnpm run test:fleet`,
// which .ci/run runs after the README's test command.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['test/**/*.e2e.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
})
