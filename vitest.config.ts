import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Worker pools and full-epoch checks need more than the 5 s default on 2 cores.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Each test file that starts a pool uses every core; running files in parallel only oversubscribes.
    fileParallelism: false,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
