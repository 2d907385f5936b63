import type { SessionTask } from './session-protocol.js';

/**
 * Messages from the coordinator to a pool thread: a session of training steps
 * (session-protocol.ts), a share of the test images to evaluate and how finely to claim them, an
 * empty task (what piscina itself costs), or the bench's bare kernel for `ms` milliseconds
 * (src/bench/bare-kernel.ts).
 */
export type Task = SessionTask | { readonly kind: 'evaluation'; readonly count: number; readonly chunk: number } | { readonly kind: 'empty' } | BareKernelTask;

export interface BareKernelTask {
  readonly kind: 'bare';
  readonly ms: number;
}

/** What one thread did in a job: how much, and when its computation ran. */
export interface ThreadTiming {
  readonly samples: number;
  readonly computeMs: number;
  readonly threadId: number;
  /** When the work started and ended, in ms on the clock all threads share (timeOrigin + now). */
  readonly startedAt: number;
  readonly endedAt: number;
}

/** Timing of one job on the pool, as the threads and the main thread saw it. */
export interface JobTiming {
  /** Wall time from dispatch to the last result. */
  readonly wallMs: number;
  /** When the job was dispatched, on the threads' shared clock (timeOrigin + now). */
  readonly dispatchedAt: number;
  /** What each thread did, in dispatch order (a session: in the order the threads joined it). */
  readonly threads: readonly ThreadTiming[];
}
