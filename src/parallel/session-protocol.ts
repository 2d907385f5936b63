/**
 * How the main thread and the pool threads of a step session talk: a small shared control block of
 * Int32 words, read and written by both sides (step-session.ts is the main side, worker-context.ts
 * the threads' side).
 */

/** Words of the control block. */
export const Control = {
  /** Bumped by the main thread for every order: a thread works once per value it sees. */
  SEQ: 0,
  /** Nonzero: leave the session at the next SEQ. */
  STOP: 1,
  BATCH_START: 2,
  BATCH_COUNT: 3,
  CHUNK: 4,
  STEP: 5,
  ATTEMPT: 6,
  ATTEMPT_ID: 7,
  /** Who sums the step's slots: a Summing value. */
  SUMMING: 8,
  /** Threads that finished the current order; the last one to arrive notifies the main thread. */
  CHECKED_IN: 9,
  /** Hands out each session thread its row of the timing records. */
  ROWS: 10,
  /** Steps in the order: more than one only when the threads apply the updates themselves. */
  STEPS: 11,
  /** Nonzero: the threads average each step's sum and apply the optimizer (pool-update.ts). */
  UPDATE: 12,
  /** The threads' barrier at a step's end: arrivals, and the generation the last one bumps. */
  ARRIVED: 13,
  GENERATION: 14,
  /** Steps of the order whose update is applied. */
  COMPLETED: 15,
  /** Bits set by the threads: NONFINITE_MEAN once a block of the step's mean is not finite, NONFINITE_UPDATE once a block's update is. */
  NONFINITE: 16,
  /** The order ended at step COMPLETED + 1, undone: a Fault value, or 0. */
  FAULT: 17,
  /** The number of the order's first update (its step s has number FIRST_UPDATE + s), which marks the blocks' backups. */
  FIRST_UPDATE: 18,
  /** Set by the main thread: end the order after the step being computed. */
  END_EARLY: 19,
  WORDS: 20,
} as const;

/** Why the threads ended an order early without applying a step. */
export const Fault = { NONE: 0, LOSS: 1, MEAN: 2, UPDATE: 3 } as const;

/** The bits of Control.NONFINITE. */
export const NONFINITE_MEAN = 1;
export const NONFINITE_UPDATE = 2;
export type FaultValue = (typeof Fault)[keyof typeof Fault];

/**
 * Who sums a step's slots: the main thread as they complete, or the pool threads, once all are,
 * each taking blocks of coordinates (from slot 0, or from the sum carried from the batch's last round).
 */
export const Summing = { MAIN: 0, POOL: 1, POOL_FROM_CARRIED: 2 } as const;
export type SummingMode = (typeof Summing)[keyof typeof Summing];

/** Per thread and step: samples, computeMs, threadId, startedAt, endedAt (as ThreadTiming). */
export const RECORD_FIELDS = 5;

/** One step for the session threads: batch positions [batchStart, batchStart+batchCount). */
export interface StepOrder {
  readonly batchStart: number;
  readonly batchCount: number;
  /** Samples a thread claims at a time. */
  readonly chunk: number;
  /** The optimizer step this batch is for, counting from 1. */
  readonly step: number;
  /** 0 for the first attempt at this step, 1 for the retry on fresh workers. */
  readonly attempt: number;
  /** Unique to this attempt within the run: written to slotAttempts[i] once slot i is complete. */
  readonly attemptId: number;
  readonly summing: SummingMode;
  /** The threads apply the updates (with Summing.POOL) and go on alone through this many steps, batch after batch. */
  readonly steps: number;
  readonly update: boolean;
  /** With update: the number of the first step's update among all the pool's updates (pool-update.ts). */
  readonly firstUpdate: number;
}

/** The task that keeps a pool thread in a session. */
export interface SessionTask {
  readonly kind: 'session';
  readonly control: Int32Array;
  readonly records: Float64Array;
  readonly threads: number;
  /** How long to spin for the next order; the last thread to finish a step uses lastSpinMs. */
  readonly spinMs: number;
  readonly lastSpinMs: number;
}

export function writeOrder(control: Int32Array, order: StepOrder): void {
  control[Control.BATCH_START] = order.batchStart;
  control[Control.BATCH_COUNT] = order.batchCount;
  control[Control.CHUNK] = order.chunk;
  control[Control.STEP] = order.step;
  control[Control.ATTEMPT] = order.attempt;
  control[Control.ATTEMPT_ID] = order.attemptId;
  control[Control.SUMMING] = order.summing;
  control[Control.STEPS] = order.steps;
  control[Control.UPDATE] = order.update ? 1 : 0;
  control[Control.FIRST_UPDATE] = order.firstUpdate;
  for (const word of [Control.COMPLETED, Control.NONFINITE, Control.FAULT, Control.END_EARLY]) control[word] = 0;
}

export function readOrder(control: Int32Array): StepOrder {
  return {
    batchStart: control[Control.BATCH_START],
    batchCount: control[Control.BATCH_COUNT],
    chunk: control[Control.CHUNK],
    step: control[Control.STEP],
    attempt: control[Control.ATTEMPT],
    attemptId: control[Control.ATTEMPT_ID],
    summing: control[Control.SUMMING] as SummingMode,
    steps: control[Control.STEPS],
    update: control[Control.UPDATE] !== 0,
    firstUpdate: control[Control.FIRST_UPDATE],
  };
}

/** Thread side: the SEQ after `seen`, spinning up to spinMs before sleeping on it. */
export function awaitOrder(control: Int32Array, seen: number, spinMs: number): number {
  const spinUntil = performance.now() + spinMs;
  for (;;) {
    const seq = Atomics.load(control, Control.SEQ);
    if (seq !== seen) return seq;
    if (performance.now() >= spinUntil) Atomics.wait(control, Control.SEQ, seen);
  }
}

/**
 * Thread side: waits until all `threads` have arrived, spinning up to spinMs before sleeping; the
 * last to arrive runs `last` (the others wait for it) and releases them.
 */
export function barrier(control: Int32Array, threads: number, spinMs: number, last: () => void): void {
  const generation = Atomics.load(control, Control.GENERATION);
  if (Atomics.add(control, Control.ARRIVED, 1) === threads - 1) {
    last();
    Atomics.store(control, Control.ARRIVED, 0);
    Atomics.add(control, Control.GENERATION, 1);
    Atomics.notify(control, Control.GENERATION);
    return;
  }
  const spinUntil = performance.now() + spinMs;
  while (Atomics.load(control, Control.GENERATION) === generation) {
    if (performance.now() >= spinUntil) Atomics.wait(control, Control.GENERATION, generation);
  }
}
