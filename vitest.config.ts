import { defineConfig } from 'vitest/config'

export default defineConfig({
  // Tests import workspace packages from their TypeScript sources (the "source" export condition).
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['packages/**/test/**/*.test.ts', 'examples/**/*.test.ts'],
    // Vitest's default is one worker per core less one: a single worker on a two-core machine,
    // where most files wait on fsyncs and child processes rather than the CPU.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
