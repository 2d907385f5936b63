import type { SessionTask } from './step-session.js';

/**
 * Messages from the coordinator to a worker: a session of training steps (step-session.ts), or a
 * range of test images to evaluate and how finely to claim it, or nothing (piscina's own cost).
 */
export type Task = SessionTask | { readonly kind: 'evaluate'; readonly count: number; readonly chunk: number } | { readonly kind: 'noop' };

/** What a worker reports back: how much it did and how long its computation took. */
export interface TaskResult {
  readonly samples: number;
  readonly computeMs: number;
  readonly threadId: number;
  /** When the task started and ended, in ms on the clock all threads share (timeOrigin + now). */
  readonly startedAt: number;
  readonly endedAt: number;
}
