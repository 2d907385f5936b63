import type { Reporter, TestModule } from 'vitest/node';

/**
 * Adds the plain closing line 'N passed, N failed' (', N skipped' when any are), which tools
 * that do not know vitest's own summary can read; vitest's default reporter still runs.
 */
export default class SummaryReporter implements Reporter {
  async onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): Promise<void> {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const module of modules) {
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed++; // failed to load
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
    }
    // The default reporter prints its summary in the same round; a tick later this line closes the output.
    await new Promise((resolve) => setTimeout(resolve, 0));
    process.stdout.write(`\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`);
  }
}
