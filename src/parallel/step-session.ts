import { availableParallelism } from 'node:os';
import type { WorkerPool } from './pool.js';
import { Control, RECORD_FIELDS, type SessionTask, type StepOrder, writeOrder } from './session-protocol.js';
import { sharedInt32 } from './shared-state.js';
import type { ThreadTiming } from './tasks.js';

/**
 * Consecutive training steps without a piscina message per step. A session is one long task per
 * pool thread; the threads take each step's order from a small shared control block
 * (session-protocol.ts) and, between steps, watch it for the next one instead of going back to
 * piscina's idle wait.
 *
 * Why: a task posted to an idle pool thread started 0.23-0.52 ms late on a 2-core VM (waking a
 * halted virtual CPU), per step of 3-5 ms. A thread that keeps watching the block while the main
 * thread applies the update sees the next order within microseconds. It watches by spinning for at
 * most a few ms, then sleeps in Atomics.wait. Spinning is only used when every pool thread has a
 * core, so it never takes one from a thread that computes; and when the main thread has no core of
 * its own, the last thread to finish a step sleeps at once, leaving its core to the main thread.
 *
 * The coordinator ends the session before anything else runs on the pool (evaluation, empty
 * tasks, closing), and drops it when a thread fails.
 */

/** How long session threads spin for the next step before sleeping; steps are ~0.1-0.3 ms apart. */
const SPIN_MS = 2;

/**
 * How long the main thread sleeps between looks at the completed slots (the step's end wakes it at
 * once). Each look takes a core from a computing thread when there are as many threads as cores:
 * in 3 alternating bench runs at 2 threads, 2 ms gave 35.0k/31.7k/35.2k samples/s, 0.5 ms
 * 34.3k/31.4k/33.4k, and summing only at the end (100 ms) 34.1k/31.2k/27.4k.
 */
const SLOT_POLL_MS = 2;

/** With no slots to watch, the last thread's check-in (or a failure) wakes the main thread; this is only a safety net. */
const CHECK_IN_POLL_MS = 100;

/**
 * While the main thread has a core of its own it watches the slots without sleeping, for this
 * long at a time, then lets the event loop run (the watchdog, piscina's messages) and watches
 * again: the last slots and the check-in are seen at once instead of after a sleep's wake-up.
 */
const MAIN_SPIN_MS = 1;

// ES2024's Atomics.waitAsync, in V8 since Node 16; the ES2022 lib this project compiles against lacks its type.
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number, timeoutMs: number): { async: boolean; value: Promise<string> | string };
}).waitAsync;

/**
 * Takes a step's slots on the main thread as they complete, while the threads compute the rest:
 * add(0, a), add(a, b), ... in sample order; a retried step starts again from slot 0.
 */
export interface SlotSink {
  /** Slots [from, to) are complete. */
  add(from: number, to: number): void;
}

/** Main side: the session's threads, their control block and what became of their tasks. */
export class StepSession {
  readonly control = sharedInt32(Control.WORDS);
  private readonly records: Float64Array;
  /** Why the session ended early (a thread failed or the watchdog fired); null while it runs. */
  failure: unknown = null;
  private readonly watchdog = new AbortController();
  private readonly tasks: Promise<PromiseSettledResult<ThreadTiming>[]>;
  /** Whether the main thread watches the step by spinning (it has a core no pool thread needs). */
  private readonly mainSpins: boolean;

  constructor(
    pool: WorkerPool,
    private readonly slotAttempts: Int32Array,
  ) {
    const threads = pool.threads;
    this.records = new Float64Array(new SharedArrayBuffer(threads * RECORD_FIELDS * 8));
    const task: SessionTask = { kind: 'session', control: this.control, records: this.records, threads, ...spinPolicy(threads) };
    this.mainSpins = mainHasCore(threads);
    const runs = pool.runOnEveryThread<ThreadTiming>(task, this.watchdog.signal);
    for (const run of runs) {
      run.catch((e: unknown) => {
        this.failure ??= this.watchdog.signal.aborted ? this.watchdog.signal.reason : e;
        // Wakes the main thread if it waits for the check-in that will not come.
        Atomics.notify(this.control, Control.CHECKED_IN);
      });
    }
    this.tasks = Promise.allSettled(runs);
  }

  get threads(): number {
    return this.records.length / RECORD_FIELDS;
  }

  /**
   * Runs one step: publishes the order (the caller has reset the work counter), hands the sink each
   * slot of this attempt as it completes, in order, and returns once every thread has checked in or
   * the session failed (then `failure` says why).
   */
  async run(order: StepOrder, sink: SlotSink | null): Promise<void> {
    const c = this.control;
    writeOrder(c, order);
    Atomics.store(c, Control.CHECKED_IN, 0);
    Atomics.add(c, Control.SEQ, 1); // sequentially consistent: the fields and the parameters precede it
    Atomics.notify(c, Control.SEQ);
    await this.follow(order, sink);
  }

  /**
   * Between looks at the slots it sleeps without blocking the event loop, so the watchdog and
   * piscina's messages run; the last thread to check in wakes it.
   */
  private async follow({ batchCount, attemptId }: StepOrder, sink: SlotSink | null): Promise<void> {
    const slotAttempts = this.slotAttempts;
    let next = sink === null ? batchCount : 0;
    let spinUntil = this.mainSpins ? performance.now() + MAIN_SPIN_MS : 0;
    for (;;) {
      const checkedIn = Atomics.load(this.control, Control.CHECKED_IN);
      let complete = next;
      while (complete < batchCount && Atomics.load(slotAttempts, complete) === attemptId) complete++;
      if (complete > next) sink!.add(next, complete);
      next = complete;
      if ((next === batchCount && checkedIn === this.threads) || this.failure !== null) return;
      if (this.mainSpins) {
        if (performance.now() < spinUntil) continue;
        await new Promise<void>((resolve) => setImmediate(resolve));
        spinUntil = performance.now() + MAIN_SPIN_MS;
        continue;
      }
      const wait = waitAsync(this.control, Control.CHECKED_IN, checkedIn, sink === null ? CHECK_IN_POLL_MS : SLOT_POLL_MS);
      if (wait.async) await wait.value;
    }
  }

  /** What each thread did in the step that just completed. */
  threadTimings(): ThreadTiming[] {
    const out: ThreadTiming[] = [];
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

/** Whether the main thread has a core that no pool thread needs (fewer pool threads than cores). */
export function mainHasCore(threads: number): boolean {
  return threads < availableParallelism();
}

/** Spinning only where it takes no core from a thread that has work. */
function spinPolicy(threads: number): Pick<SessionTask, 'spinMs' | 'lastSpinMs'> {
  return { spinMs: threads <= availableParallelism() ? SPIN_MS : 0, lastSpinMs: mainHasCore(threads) ? SPIN_MS : 0 };
}
