import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Worker pools and full-epoch checks need more than the 5 s default on 2 cores.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Each test file that starts a pool uses every core; running files in parallel only oversubscribes.
    fileParallelism: false,
    // No test file mocks modules or changes global state, so all share one module graph: a fresh
    // one per file cost half a second each, about 30 s of the suite on 2 cores.
    isolate: false,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
