/** Messages from the coordinator to a worker: a range to work on and how finely to claim it. */
export type Task =
  | {
      readonly kind: 'gradients';
      readonly batchStart: number;
      readonly batchCount: number;
      readonly chunk: number;
      /** The Adam step this batch is for (1-based), and 0 for a first try, 1 for the retry. */
      readonly step: number;
      readonly attempt: number;
      /** Written to slotStamps[i] once slot i is complete; unique to this attempt. */
      readonly stamp: number;
    }
  | { readonly kind: 'evaluate'; readonly count: number; readonly chunk: number }
  | { readonly kind: 'noop' };

/** What a worker reports back: how much it did and how long its computation took. */
export interface TaskResult {
  readonly samples: number;
  readonly computeMs: number;
  readonly threadId: number;
  /** When the task started and ended, in ms on the clock all threads share (timeOrigin + now). */
  readonly startedAt: number;
  readonly endedAt: number;
}
