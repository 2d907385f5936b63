import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { WorkerFault } from '../train/faults.js';
import { DONE_COUNTER, type SharedState, TEST_COUNTER, TRAIN_COUNTER } from './shared-state.js';
import type { Task, TaskResult } from './tasks.js';
import { gradientWorkerPath } from './worker-path.js';

/** Timing of one parallel phase, as the workers and the main thread saw it. */
export interface PhaseTiming {
  /** Wall time from dispatch to the last result. */
  readonly wallMs: number;
  /** When the tasks were dispatched, on the threads' shared clock (timeOrigin + now). */
  readonly dispatchedAt: number;
  /** Each task's own computation time, in dispatch order. */
  readonly tasks: readonly TaskResult[];
}

export interface CoordinatorOptions {
  /** A phase still running after this long is taken for a hung worker. */
  readonly phaseTimeoutMs: number;
  /** Heap limit of each worker, so a runaway allocation kills that worker and not the process. */
  readonly workerHeapMb: number;
}

export const DEFAULT_COORDINATOR_OPTIONS: CoordinatorOptions = {
  phaseTimeoutMs: 10 * 60_000,
  workerHeapMb: 512,
};

/**
 * Takes a gradients phase's slots on the main thread as they complete: add(0), add(1), ... in
 * sample order, while the workers compute the rest; a retried phase starts again from slot 0.
 */
export interface SlotSink {
  add(slot: number): void;
}

/** How long the main thread sleeps between looks at the completed slots (the last one wakes it at once). */
const SLOT_POLL_MS = 0.5;

// ES2024's Atomics.waitAsync, in V8 since Node 16; the ES2022 lib this project compiles against lacks its type.
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number, timeoutMs: number): { async: boolean; value: Promise<string> | string };
}).waitAsync;

export function defaultThreadCount(): number {
  return availableParallelism();
}

/**
 * Owns the piscina pool for a whole run: started once, every thread kept alive between steps
 * (no idle teardown), closed at the end. A phase sends one task per thread; each task claims
 * samples from a shared counter until none are left.
 *
 * A phase that fails (a worker throws, exits, runs out of memory, or outlives the watchdog) is
 * run once more on a fresh pool. The phase only writes per-sample slots and outputs, so running
 * it again from the unchanged parameters gives exactly what the first attempt would have.
 */
export class Coordinator {
  private pool: Piscina;
  private closed = false;
  /** Numbers the attempts of gradients phases, so a slot's stamp says which attempt completed it. */
  private attempts = 0;
  private readonly options: CoordinatorOptions;

  constructor(
    readonly state: SharedState,
    readonly threads: number,
    options: Partial<CoordinatorOptions> = {},
  ) {
    this.options = { ...DEFAULT_COORDINATOR_OPTIONS, ...options };
    this.pool = this.startPool();
  }

  private startPool(): Piscina {
    return new Piscina({
      filename: gradientWorkerPath(),
      minThreads: this.threads,
      maxThreads: this.threads,
      // Threads are the run's fixed resource; tearing them down between steps would cost a restart.
      idleTimeout: 2 ** 31 - 1,
      // One task per thread at a time, so a phase's tasks spread over every thread.
      concurrentTasksPerWorker: 1,
      resourceLimits: { maxOldGenerationSizeMb: this.options.workerHeapMb },
      workerData: this.state,
    });
  }

  /**
   * Per-sample gradients and losses of batch positions [batchStart, batchStart+count) of the
   * order. With a sink, the main thread hands it each slot as soon as it is complete, in order,
   * so that summing the slots overlaps the computation instead of following it.
   */
  computeGradients(batchStart: number, count: number, step = 0, chunk = 1, sink: SlotSink | null = null): Promise<PhaseTiming> {
    if (count > this.state.batchSize) throw new Error(`batch of ${count} exceeds the ${this.state.batchSize} gradient slots`);
    return this.runPhase((attempt) => {
      const stamp = ++this.attempts;
      return {
        task: { kind: 'gradients', batchStart, batchCount: count, chunk, step, attempt, stamp },
        follow: sink === null ? null : (ended: () => boolean) => this.followSlots(sink, count, stamp, ended),
      };
    }, TRAIN_COUNTER, `step ${step}`);
  }

  /** Loss and predicted class of every test image. */
  evaluate(chunk = 8): Promise<PhaseTiming> {
    return this.runPhase(() => ({ task: { kind: 'evaluate', count: this.state.test.count, chunk }, follow: null }), TEST_COUNTER, 'evaluation');
  }

  /** An empty task on every thread: what piscina itself costs per phase. */
  noop(): Promise<PhaseTiming> {
    return this.runPhase(() => ({ task: { kind: 'noop' }, follow: null }), null, 'empty task');
  }

  private async runPhase(attempt: (n: number) => PhaseAttempt, counter: number | null, what: string): Promise<PhaseTiming> {
    try {
      return await this.attemptPhase(attempt(0), counter);
    } catch (first) {
      if (this.closed) throw first;
      await this.restartPool();
      try {
        return await this.attemptPhase(attempt(1), counter);
      } catch (second) {
        const [before, again] = [describeFault(first), describeFault(second)];
        const causes = before === again ? again : `${again} (first: ${before})`;
        throw new WorkerFault(`${what} failed twice, the second time on fresh workers: ${causes}`);
      }
    }
  }

  private async attemptPhase({ task, follow }: PhaseAttempt, counter: number | null): Promise<PhaseTiming> {
    if (this.closed) throw new Error('the worker pool is closed');
    if (counter !== null) Atomics.store(this.state.counters, counter, 0);
    Atomics.store(this.state.counters, DONE_COUNTER, 0);
    const started = performance.now();
    const watchdog = new AbortController();
    const timer = setTimeout(() => watchdog.abort(new PhaseTimeout(this.options.phaseTimeoutMs)), this.options.phaseTimeoutMs);
    try {
      const runs: Promise<TaskResult>[] = [];
      for (let t = 0; t < this.threads; t++) runs.push(this.pool.run(task, { signal: watchdog.signal }));
      const all = Promise.allSettled(runs);
      if (follow !== null) {
        let ended = false;
        void all.then(() => (ended = true));
        await follow(() => ended);
      }
      const settled = await all;
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw watchdog.signal.aborted ? watchdog.signal.reason : failed.reason;
      const tasks = settled.map((s) => (s as PromiseFulfilledResult<TaskResult>).value);
      return { wallMs: performance.now() - started, dispatchedAt: performance.timeOrigin + started, tasks };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Feeds the sink each slot stamped by this attempt, in order, until all `count` are in or the
   * phase has ended without them (a failed worker: the caller then sees the failure). Between
   * looks it sleeps without blocking the event loop, so the watchdog and piscina's messages run.
   */
  private async followSlots(sink: SlotSink, count: number, stamp: number, ended: () => boolean): Promise<void> {
    const { slotStamps, counters } = this.state;
    let next = 0;
    for (;;) {
      const done = Atomics.load(counters, DONE_COUNTER);
      while (next < count && Atomics.load(slotStamps, next) === stamp) sink.add(next++);
      if (next === count || ended()) return;
      const wait = waitAsync(counters, DONE_COUNTER, done, SLOT_POLL_MS);
      if (wait.async) await wait.value;
    }
  }

  /** Replaces every thread: a failed worker may have left the others mid-task or the pool short. */
  private async restartPool(): Promise<void> {
    const old = this.pool;
    this.pool = this.startPool();
    await old.destroy().catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.destroy();
  }
}

/** One attempt of a phase: the task every thread runs, and what the main thread does meanwhile. */
interface PhaseAttempt {
  readonly task: Task;
  readonly follow: ((ended: () => boolean) => Promise<void>) | null;
}

class PhaseTimeout extends Error {
  constructor(ms: number) {
    super(`no result within the ${ms / 1000} s watchdog (hung worker?)`);
    this.name = 'PhaseTimeout';
  }
}

function describeFault(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ERR_WORKER_OUT_OF_MEMORY') return 'a worker ran out of memory';
  return e.message.split('\n')[0];
}
