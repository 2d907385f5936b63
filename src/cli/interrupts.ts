export const INTERRUPTED_EXIT_CODE = 130;
/** 128 + SIGHUP's 1, as a shell reports a process the signal ended. */
const HANGUP_EXIT_CODE = 129;

/**
 * Ctrl-C and SIGTERM: the first asks the run to stop after the step in flight (it then writes a
 * checkpoint and closes the pool); a second exits at once. Files are written synchronously
 * (data/npz-write.ts), so exiting from here can never leave one half-written.
 * Before a run is set, any signal exits at once.
 */
export class Interrupts {
  private onFirst: (() => void) | null = null;
  private received = 0;
  private readonly handler = (signal: NodeJS.Signals) => {
    this.received++;
    if (this.received === 1 && this.onFirst !== null) {
      process.stderr.write(`\nshardtrain: ${signal}: finishing the step in flight (again to quit at once)\n`);
      this.onFirst();
      return;
    }
    process.exit(INTERRUPTED_EXIT_CODE);
  };

  /**
   * A closed terminal (SIGHUP) leaves nobody to read a report: exit at once, but through Node's
   * exit, so that the checkpoint lock and empty folders go (Node's default skips it).
   */
  private readonly hangup = () => process.exit(HANGUP_EXIT_CODE);

  constructor() {
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
    process.on('SIGHUP', this.hangup);
  }

  /** From now on the first signal calls `stop` instead of exiting. */
  whileRunning(stop: () => void): void {
    this.onFirst = stop;
  }

  /**
   * The run is over. After a signal the handlers stay: the process is on its way out with 130, and
   * a second signal in that window must still exit with 130 at once, not kill it by default.
   */
  dispose(): void {
    if (this.received > 0) return;
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
    process.off('SIGHUP', this.hangup);
  }
}
