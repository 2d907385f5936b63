import type { Piscina } from 'piscina';
import { runOnEveryThread } from './run-on-every-thread.js';
import { sharedInt32 } from './shared-state.js';
import type { TaskResult } from './tasks.js';

/**
 * Consecutive training steps without a piscina message per step. A session is one long task per
 * pool thread; the threads take each step's order from a small shared control block and, between
 * steps, watch it for the next one instead of going back to piscina's idle wait.
 *
 * Why: a task posted to an idle pool thread started 0.23-0.52 ms late on this 2-core VM (waking a
 * halted virtual CPU), and the second thread of two later than the first, per step of 3-5 ms.
 * A thread that keeps watching the block while the main thread applies Adam sees the next order
 * within microseconds. It watches by spinning for at most a few ms, then sleeps in Atomics.wait.
 * Spinning is only used when every pool thread has a core, so it never takes one from a thread
 * that computes; and when the main thread has no core of its own, the last thread to finish a
 * step sleeps at once, leaving its core to the main thread, which has Adam to apply.
 *
 * The main thread ends the session before anything else runs on the pool (evaluation, an empty
 * task, closing), and the coordinator drops it when a thread fails.
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
  STAMP: 7,
  /** Threads that finished the current order; the last one to arrive notifies the main thread. */
  CHECKED_IN: 8,
  /** Hands out each session thread its row of the timing records. */
  ROWS: 9,
  WORDS: 10,
} as const;

/** Per thread and step: samples, computeMs, threadId, startedAt, endedAt (as TaskResult). */
export const RECORD_FIELDS = 5;

/** One step for the session threads: batch positions [batchStart, batchStart+batchCount). */
export interface StepOrder {
  readonly batchStart: number;
  readonly batchCount: number;
  readonly chunk: number;
  /** The Adam step this batch is for (1-based), and 0 for a first try, 1 for the retry. */
  readonly step: number;
  readonly attempt: number;
  /** Written to slotStamps[i] once slot i is complete; unique to this attempt. */
  readonly stamp: number;
}

/** The task that keeps a pool thread in a session. */
export interface SessionTask {
  readonly kind: 'steps';
  readonly control: Int32Array;
  readonly records: Float64Array;
  readonly threads: number;
  /** How long to spin for the next order; the last thread to finish a step uses lastSpinMs. */
  readonly spinMs: number;
  readonly lastSpinMs: number;
}

export function readOrder(control: Int32Array): StepOrder {
  return {
    batchStart: control[Control.BATCH_START],
    batchCount: control[Control.BATCH_COUNT],
    chunk: control[Control.CHUNK],
    step: control[Control.STEP],
    attempt: control[Control.ATTEMPT],
    stamp: control[Control.STAMP],
  };
}

/** Worker side: the SEQ after `seen`, spinning up to spinMs before sleeping on it. */
export function awaitOrder(control: Int32Array, seen: number, spinMs: number): number {
  const spinUntil = performance.now() + spinMs;
  for (;;) {
    const seq = Atomics.load(control, Control.SEQ);
    if (seq !== seen) return seq;
    if (performance.now() >= spinUntil) Atomics.wait(control, Control.SEQ, seen);
  }
}

/** Main side: the session's threads, their control block and what became of their tasks. */
export class StepSession {
  readonly control = sharedInt32(Control.WORDS);
  readonly records: Float64Array;
  /** Why the session ended early (a thread failed or the watchdog fired); null while it runs. */
  failure: unknown = null;
  private readonly watchdog = new AbortController();
  private readonly tasks: Promise<PromiseSettledResult<TaskResult>[]>;

  constructor(
    pool: Piscina,
    readonly threads: number,
    spin: Pick<SessionTask, 'spinMs' | 'lastSpinMs'>,
  ) {
    this.records = new Float64Array(new SharedArrayBuffer(threads * RECORD_FIELDS * 8));
    const task: SessionTask = { kind: 'steps', control: this.control, records: this.records, threads, ...spin };
    const runs = runOnEveryThread<TaskResult>(pool, task, threads, this.watchdog.signal);
    for (const run of runs) {
      run.catch((e: unknown) => {
        this.failure ??= this.watchdog.signal.aborted ? this.watchdog.signal.reason : e;
      });
    }
    this.tasks = Promise.allSettled(runs);
  }

  /** Publishes the next step; the caller has reset the work counters. */
  post(order: StepOrder): void {
    const c = this.control;
    c[Control.BATCH_START] = order.batchStart;
    c[Control.BATCH_COUNT] = order.batchCount;
    c[Control.CHUNK] = order.chunk;
    c[Control.STEP] = order.step;
    c[Control.ATTEMPT] = order.attempt;
    c[Control.STAMP] = order.stamp;
    Atomics.store(c, Control.CHECKED_IN, 0);
    Atomics.add(c, Control.SEQ, 1); // sequentially consistent: the fields and the parameters precede it
    Atomics.notify(c, Control.SEQ);
  }

  get checkedIn(): number {
    return Atomics.load(this.control, Control.CHECKED_IN);
  }

  /** What each thread did in the step that just completed (valid once all checked in). */
  results(): TaskResult[] {
    const out: TaskResult[] = [];
    for (let row = 0; row < this.threads; row++) {
      const r = this.records.subarray(row * RECORD_FIELDS, (row + 1) * RECORD_FIELDS);
      out.push({ samples: r[0], computeMs: r[1], threadId: r[2], startedAt: r[3], endedAt: r[4] });
    }
    return out;
  }

  /** Kills the session's threads' tasks (piscina terminates a thread whose running task is aborted). */
  abort(reason: unknown): void {
    this.watchdog.abort(reason);
  }

  /** Lets the threads leave and waits until they have; throws if one had failed. */
  async stop(): Promise<void> {
    Atomics.store(this.control, Control.STOP, 1);
    Atomics.add(this.control, Control.SEQ, 1);
    Atomics.notify(this.control, Control.SEQ);
    await this.tasks;
    if (this.failure !== null) throw this.failure;
  }
}
