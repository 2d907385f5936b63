import { Control } from './session-protocol.js';
import { JobTimeout, StartupTimeout } from './worker-fault.js';

/**
 * What starting the threads may take, when the timeout is shorter: 32 threads loading the worker
 * module and the kernels take seconds on a loaded machine, which is no sign of a hung thread.
 */
export const STARTUP_ALLOWANCE_MS = 60_000;

/**
 * Watches an order of a step session: `abort` gets a JobTimeout once `timeoutMs` pass without a
 * step completed (Control.COMPLETED, which an order of one step never bumps: then the step itself
 * must end within it). The clock starts when every thread has joined the session (Control.ROWS):
 * starting threads is not a step, so a --timeout of a second would otherwise fail every run
 * whose pool takes longer than that to start, and its retry, on fresh threads, the same way.
 * Starting gets an allowance of its own, so a thread that never starts is still caught.
 * Returns the function that stops watching.
 */
export function watchSession(control: Int32Array, threads: number, timeoutMs: number, abort: (reason: Error) => void): () => void {
  const startupMs = Math.max(timeoutMs, STARTUP_ALLOWANCE_MS);
  const begun = performance.now();
  const joined = () => Atomics.load(control, Control.ROWS) >= threads;
  let progressAt = joined() ? begun : -1;
  let seen = Atomics.load(control, Control.COMPLETED);
  const look = () => {
    const now = performance.now();
    if (progressAt < 0) {
      if (joined()) progressAt = now;
      else if (now - begun >= startupMs) abort(new StartupTimeout(startupMs, Atomics.load(control, Control.ROWS), threads));
      return;
    }
    const completed = Atomics.load(control, Control.COMPLETED);
    if (completed !== seen) [seen, progressAt] = [completed, now];
    else if (now - progressAt >= timeoutMs) abort(new JobTimeout(timeoutMs));
  };
  // Looked at four times a timeout (a step may run up to a quarter over it), and at least every second while the threads start.
  const timer = setInterval(look, Math.max(1, Math.min(timeoutMs, 4000) / 4));
  return () => clearInterval(timer);
}
