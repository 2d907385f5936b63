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
  WORDS: 11,
} as const;

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
