import { defineConfig } from 'vitest/config'

// End-to-end suites (`pnpm test:e2e`): real processes, signals and terminals. Slower than
// the unit suites (vitest.config.ts), so they run on their own; CI runs both.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['packages/**/e2e/**/*.test.ts'],
    globalSetup: ['packages/cli/e2e/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
