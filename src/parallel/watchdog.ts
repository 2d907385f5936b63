import { Control } from './session-protocol.js';
import { JobTimeout, StartupTimeout } from './worker-fault.js';

/**
 * What starting the threads may take, when the timeout is shorter: 32 threads loading the worker
 * module and the kernels take seconds on a loaded machine, which is no sign of a hung thread.
 */
export const STARTUP_ALLOWANCE_MS = 60_000;

export interface Watched {
  /** Pool threads that have started (loaded the worker module and built their kernels). */
  readonly started: () => number;
  readonly threads: number;
  readonly timeoutMs: number;
  /** What the job may take beyond the timeout by design (the bench's timed bare kernel). */
  readonly extraMs?: number;
  /** A count that moves on with each step done; without it, the whole job must end in time. */
  readonly progress?: () => number;
  readonly abort: (reason: Error) => void;
}

/**
 * Watches a job on the pool: `abort` gets a JobTimeout once `timeoutMs` pass without progress.
 * The clock starts when every thread has started: starting threads is not the job, so a timeout
 * of a second would otherwise fail every run whose pool takes longer than that to start, and its
 * retry, on fresh threads, the same way. Starting gets an allowance of its own, so a thread that
 * never starts is still caught. Returns the function that stops watching.
 */
export function watchJob(w: Watched): () => void {
  const startupMs = Math.max(w.timeoutMs, STARTUP_ALLOWANCE_MS);
  const limitMs = w.timeoutMs + (w.extraMs ?? 0);
  const begun = performance.now();
  const ready = () => w.started() >= w.threads;
  let progressAt = ready() ? begun : -1;
  let seen = w.progress?.() ?? 0;
  const look = () => {
    const now = performance.now();
    if (progressAt < 0) {
      if (ready()) progressAt = now;
      else if (now - begun >= startupMs) w.abort(new StartupTimeout(startupMs, w.started(), w.threads));
      return;
    }
    const done = w.progress?.() ?? 0;
    if (done !== seen) [seen, progressAt] = [done, now];
    else if (now - progressAt >= limitMs) w.abort(new JobTimeout(limitMs));
  };
  // Looked at four times a timeout (a job may run up to a quarter over it), and at least every second.
  const timer = setInterval(look, Math.max(1, Math.min(limitMs, 4000) / 4));
  return () => clearInterval(timer);
}

/** A step session's order: its steps done are the progress (Control.COMPLETED, which an order of one step never bumps). */
export function sessionProgress(control: Int32Array): () => number {
  return () => Atomics.load(control, Control.COMPLETED);
}
