import { MAX_TIMER_MS } from '../parallel/pool.js';
import { positiveNumber } from './parse-values.js';

/** --timeout as every command that runs the pool offers it: the watchdog of its jobs, in seconds. */
export const TIMEOUT_FLAG = {
  type: 'number',
  default: 600,
  describe: 'seconds a step or an evaluation may run before its workers are taken for hung, replaced and it is retried (starting the threads is not counted)',
  coerce: positiveNumber('timeout', Math.floor(MAX_TIMER_MS / 1000)),
} as const;
