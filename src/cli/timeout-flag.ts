import { UserError } from '../util/errors.js';
import { MAX_TIMER_MS } from '../parallel/pool.js';
import { positiveNumber } from './parse-values.js';

/** --timeout as every command that runs the pool offers it: the watchdog of its jobs, in seconds. */
export const TIMEOUT_FLAG = {
  type: 'number',
  default: 600,
  describe: 'seconds a step or an evaluation may run before its workers are taken for hung, replaced and it is retried (starting the threads is not counted)',
  coerce: (v: number) => {
    const seconds = positiveNumber('timeout', Math.floor(MAX_TIMER_MS / 1000))(v);
    // Timers count whole milliseconds: below one, the watchdog could not be set at all.
    if (seconds < 0.001) throw new UserError(`--timeout must be at least 0.001 (one millisecond, a timer's step), got ${seconds}`);
    return seconds;
  },
} as const;
