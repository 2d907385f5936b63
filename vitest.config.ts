import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Worker pools and full-epoch checks need more than the 5 s default on 2 cores.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Two files at a time: most files spend their time starting CLI processes (about 0.45 s of one
    // core each) or in pools of one or two threads, so a second file fills the other core. On 2
    // cores the suite took 250 s against 332 s one file at a time. No test times its work.
    fileParallelism: true,
    maxWorkers: 2,
    minWorkers: 1,
    // No test file mocks modules or changes global state, so all share one module graph: a fresh
    // one per file cost half a second each, about 30 s of the suite on 2 cores.
    isolate: false,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
