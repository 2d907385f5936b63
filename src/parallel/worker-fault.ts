/** A job failed twice on the pool: once, and again on fresh workers. */
export class WorkerFault extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerFault';
  }

  /** `what` ('step 12', 'evaluation') failed with `first`, then on fresh workers with `second`. */
  static failedTwice(what: string, first: unknown, second: unknown): WorkerFault {
    const [before, again] = [describeFault(first), describeFault(second)];
    const causes = before === again ? again : `${again} (first: ${before})`;
    return new WorkerFault(`${what} failed twice, the second time on fresh workers: ${causes}`);
  }
}

/** The watchdog's reason for ending a job whose workers did not answer in time. */
export class JobTimeout extends Error {
  constructor(ms: number) {
    super(`no result within the ${ms / 1000} s watchdog (hung worker?)`);
    this.name = 'JobTimeout';
  }
}

/** The watchdog's reason for ending a session whose threads did not all start in time. */
export class StartupTimeout extends Error {
  constructor(ms: number, started: number, threads: number) {
    super(`${started} of ${threads} threads started within ${ms / 1000} s (a thread hung while starting?)`);
    this.name = 'StartupTimeout';
  }
}

/** One line about why a worker failed, for the user. */
function describeFault(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ERR_WORKER_OUT_OF_MEMORY') return 'a worker ran out of memory';
  return e.message.split('\n')[0];
}
