import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { type SharedState, TEST_COUNTER, TRAIN_COUNTER } from './shared-state.js';
import type { Task, TaskResult } from './tasks.js';
import { gradientWorkerPath } from './worker-path.js';

/** Timing of one parallel phase, as the workers and the main thread saw it. */
export interface PhaseTiming {
  /** Wall time from dispatch to the last result. */
  readonly wallMs: number;
  /** Each task's own computation time, in dispatch order. */
  readonly tasks: readonly TaskResult[];
}

export function defaultThreadCount(): number {
  return availableParallelism();
}

/**
 * Owns the piscina pool for a whole run: started once, every thread kept alive between steps
 * (no idle teardown), closed at the end. A phase sends one task per thread; each task claims
 * samples from a shared counter until none are left.
 */
export class Coordinator {
  private readonly pool: Piscina;
  private closed = false;

  constructor(
    readonly state: SharedState,
    readonly threads: number,
  ) {
    this.pool = new Piscina({
      filename: gradientWorkerPath(),
      minThreads: threads,
      maxThreads: threads,
      // Threads are the run's fixed resource; tearing them down between steps would cost a restart.
      idleTimeout: 2 ** 31 - 1,
      // One task per thread at a time, so a phase's tasks spread over every thread.
      concurrentTasksPerWorker: 1,
      workerData: state,
    });
  }

  /** Per-sample gradients and losses of batch positions [batchStart, batchStart+count) of the order. */
  computeGradients(batchStart: number, count: number, chunk = 1): Promise<PhaseTiming> {
    if (count > this.state.batchSize) throw new Error(`batch of ${count} exceeds the ${this.state.batchSize} gradient slots`);
    Atomics.store(this.state.counters, TRAIN_COUNTER, 0);
    return this.runPhase({ kind: 'gradients', batchStart, batchCount: count, chunk });
  }

  /** Loss and predicted class of every test image. */
  evaluate(chunk = 8): Promise<PhaseTiming> {
    Atomics.store(this.state.counters, TEST_COUNTER, 0);
    return this.runPhase({ kind: 'evaluate', count: this.state.test.count, chunk });
  }

  /** An empty task on every thread: what piscina itself costs per phase. */
  noop(): Promise<PhaseTiming> {
    return this.runPhase({ kind: 'noop' });
  }

  private async runPhase(task: Task): Promise<PhaseTiming> {
    if (this.closed) throw new Error('the worker pool is closed');
    const started = performance.now();
    const runs: Promise<TaskResult>[] = [];
    for (let t = 0; t < this.threads; t++) runs.push(this.pool.run(task));
    const tasks = await Promise.all(runs);
    return { wallMs: performance.now() - started, tasks };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.destroy();
  }
}
