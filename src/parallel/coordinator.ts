import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { WorkerFault } from '../train/faults.js';
import { type SharedState, TEST_COUNTER, TRAIN_COUNTER } from './shared-state.js';
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

  /** Per-sample gradients and losses of batch positions [batchStart, batchStart+count) of the order. */
  computeGradients(batchStart: number, count: number, step = 0, chunk = 1): Promise<PhaseTiming> {
    if (count > this.state.batchSize) throw new Error(`batch of ${count} exceeds the ${this.state.batchSize} gradient slots`);
    return this.runPhase(
      (attempt) => ({ kind: 'gradients', batchStart, batchCount: count, chunk, step, attempt }),
      TRAIN_COUNTER,
      `step ${step}`,
    );
  }

  /** Loss and predicted class of every test image. */
  evaluate(chunk = 8): Promise<PhaseTiming> {
    return this.runPhase(() => ({ kind: 'evaluate', count: this.state.test.count, chunk }), TEST_COUNTER, 'evaluation');
  }

  /** An empty task on every thread: what piscina itself costs per phase. */
  noop(): Promise<PhaseTiming> {
    return this.runPhase(() => ({ kind: 'noop' }), null, 'empty task');
  }

  private async runPhase(task: (attempt: number) => Task, counter: number | null, what: string): Promise<PhaseTiming> {
    try {
      return await this.attemptPhase(task(0), counter);
    } catch (first) {
      if (this.closed) throw first;
      await this.restartPool();
      try {
        return await this.attemptPhase(task(1), counter);
      } catch (second) {
        const [before, again] = [describeFault(first), describeFault(second)];
        const causes = before === again ? again : `${again} (first: ${before})`;
        throw new WorkerFault(`${what} failed twice, the second time on fresh workers: ${causes}`);
      }
    }
  }

  private async attemptPhase(task: Task, counter: number | null): Promise<PhaseTiming> {
    if (this.closed) throw new Error('the worker pool is closed');
    if (counter !== null) Atomics.store(this.state.counters, counter, 0);
    const started = performance.now();
    const watchdog = new AbortController();
    const timer = setTimeout(() => watchdog.abort(new PhaseTimeout(this.options.phaseTimeoutMs)), this.options.phaseTimeoutMs);
    try {
      const runs: Promise<TaskResult>[] = [];
      for (let t = 0; t < this.threads; t++) runs.push(this.pool.run(task, { signal: watchdog.signal }));
      const settled = await Promise.allSettled(runs);
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw watchdog.signal.aborted ? watchdog.signal.reason : failed.reason;
      const tasks = settled.map((s) => (s as PromiseFulfilledResult<TaskResult>).value);
      return { wallMs: performance.now() - started, dispatchedAt: performance.timeOrigin + started, tasks };
    } finally {
      clearTimeout(timer);
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
