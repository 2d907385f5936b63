import { availableParallelism } from 'node:os';
import { MAX_TIMER_MS, WorkerPool } from './pool.js';
import { restoreBlocks } from './pool-update.js';
import { Control, type FaultValue, type StepOrder, Summing, type SummingMode } from './session-protocol.js';
import { DONE_COUNTER, NOISE_COUNTER, type SharedState, STARTED_COUNTER, SUM_COUNTER, TEST_COUNTER, TRAIN_COUNTER } from './shared-state.js';
import { mainHasCore, type SlotSink, StepSession } from './step-session.js';
import type { JobTiming, Task, ThreadTiming } from './tasks.js';
import { sessionProgress, STARTUP_ALLOWANCE_MS, type Watched, watchJob } from './watchdog.js';
import { WorkerFault } from './worker-fault.js';

export interface CoordinatorOptions {
  /** A job (a step's gradients, an evaluation) still running after this long is taken for a hung worker. */
  readonly timeoutMs: number;
  /** Heap limit of each worker, so a runaway allocation kills that worker and not the process. */
  readonly workerHeapMb: number;
  /**
   * Who sums a step's slots: the main thread while the pool computes, or the pool threads after it
   * has; 'auto' takes the main thread only while it has a core to itself (fewer threads than cores).
   */
  readonly summing: 'main' | 'pool' | 'auto';
}

const DEFAULT_COORDINATOR_OPTIONS: CoordinatorOptions = {
  timeoutMs: 10 * 60_000,
  workerHeapMb: 512,
  summing: 'auto',
};

export function defaultThreadCount(): number {
  return availableParallelism();
}

/**
 * Runs jobs on the pool: each training step's per-sample gradients (on a step session, see
 * step-session.ts), an evaluation of the test set, or empty tasks. In each job the threads claim
 * samples from a shared counter until none are left.
 *
 * The coordinator's own policy is what happens when a job fails: a worker throws, exits, runs out
 * of memory, or outlives the watchdog. The job is attempted once more on a fresh pool. A job only
 * writes per-sample slots and outputs, so attempting it again from the unchanged parameters gives
 * exactly what the first attempt would have; a second failure is a WorkerFault.
 */
export class Coordinator {
  private readonly pool: WorkerPool;
  private closed = false;
  /** Numbers every attempt at a step, so that a slot's mark says which attempt completed it. */
  private attemptIds = 0;
  /** Numbers every update the pool threads apply, so that a block's backup says which update it precedes. */
  private updatesNumbered = 0;
  private session: StepSession | null = null;
  private readonly options: CoordinatorOptions;

  constructor(
    readonly state: SharedState,
    readonly threads: number,
    options: Partial<CoordinatorOptions> = {},
  ) {
    this.options = { ...DEFAULT_COORDINATOR_OPTIONS, ...options };
    const { timeoutMs } = this.options;
    if (!(timeoutMs >= 1 && timeoutMs <= MAX_TIMER_MS)) {
      throw new RangeError(`timeoutMs must lie between 1 and ${MAX_TIMER_MS} (a timer's limit), got ${timeoutMs}`);
    }
    this.pool = new WorkerPool(state, threads, this.options.workerHeapMb);
    const summing = this.options.summing;
    this.poolSums = summing === 'pool' || (summing === 'auto' && !mainHasCore(threads));
  }

  /** Whether the pool threads sum each step's slots (see CoordinatorOptions.summing). */
  readonly poolSums: boolean;

  /**
   * Per-sample gradients and losses of batch positions [batchStart, batchStart+count) of imageAt,
   * for optimizer step `step`. With a sink, the main thread hands it each slot as soon as it is
   * complete, in order, so that summing the slots overlaps the computation instead of following it;
   * or the pool threads sum them into the state's batchSums once all are complete (`summing`).
   */
  gradients(batchStart: number, count: number, step: number, sink: SlotSink | null = null, summing: SummingMode = Summing.MAIN, chunk = 1): Promise<JobTiming> {
    if (count > this.state.batchSize) throw new Error(`batch of ${count} exceeds the ${this.state.batchSize} gradient slots`);
    if (summing !== Summing.MAIN && sink !== null) throw new Error('slots summed by the pool threads go to no sink');
    return this.withRetry(`step ${step}`, (attempt) =>
      this.attemptStep({ batchStart, batchCount: count, chunk, step, attempt, attemptId: ++this.attemptIds, summing, steps: 1, update: false, firstUpdate: 0 }, sink),
    );
  }

  /** Whether updatingSteps() can run: the pool sums, and the state has the optimizer's buffers. */
  get poolUpdates(): boolean {
    return this.poolSums && this.state.poolUpdate !== null;
  }

  /**
   * Optimizer steps firstStep, firstStep + 1, ... on the batches of `count` positions that follow
   * one another from batchStart, the pool threads applying each update themselves (pool-update.ts)
   * so that this thread stays out of the steps. They end after `steps`, at a step whose loss or
   * mean is not finite (not applied), or after the step in progress when endStepsEarly() is called.
   * A thread that fails costs only its step: the parameters are put back as the step found them
   * and it is attempted once more, alone, on a fresh pool; a second failure ends the steps with a
   * WorkerFault in `failure`, the steps before it applied.
   */
  async updatingSteps(batchStart: number, count: number, firstStep: number, steps: number): Promise<UpdatingSteps> {
    const started = performance.now();
    const order: StepOrder = { ...this.updatingOrder(steps), batchStart, batchCount: count, step: firstStep, attempt: 0 };
    const first = await this.attemptUpdating(order);
    if (first.failure === null || this.closed) return this.ended(first, started);
    const done = first.completed;
    // The retry, an order of its own, writes its loss at index 0; each loss ends at its step's index.
    const losses = this.state.poolUpdate!.stepLosses;
    const kept = losses.slice(0, done);
    const again = await this.attemptUpdating({ ...this.updatingOrder(1), batchStart: batchStart + done * count, batchCount: count, step: firstStep + done, attempt: 1 });
    losses.copyWithin(done, 0, again.completed);
    losses.set(kept);
    if (again.failure === null) return this.ended({ ...again, completed: done + again.completed }, started);
    return this.ended({ ...again, completed: done, failure: WorkerFault.failedTwice(`step ${firstStep + done}`, first.failure, again.failure) }, started);
  }

  /** Numbers for the order's updates, never given before, and its attempt's id. */
  private updatingOrder(steps: number): Pick<StepOrder, 'chunk' | 'attemptId' | 'summing' | 'steps' | 'update' | 'firstUpdate'> {
    const firstUpdate = this.updatesNumbered + 1;
    this.updatesNumbered += steps;
    return { chunk: 1, attemptId: ++this.attemptIds, summing: Summing.POOL, steps, update: true, firstUpdate };
  }

  /** Asks the pool to end the updating steps in progress after the step it is computing. */
  endStepsEarly(): void {
    if (this.session !== null) Atomics.store(this.session.control, Control.END_EARLY, 1);
  }

  private ended(attempt: UpdatingAttempt, started: number): UpdatingSteps {
    const { completed, fault, failure, threads } = attempt;
    return { completed, fault, failure, job: { wallMs: performance.now() - started, dispatchedAt: performance.timeOrigin + started, threads } };
  }

  /**
   * One attempt at updating steps. A failure ends the session and replaces the pool (or, closed,
   * waits for it to go), so that no thread writes as the step in progress's blocks are put back.
   */
  private async attemptUpdating(order: StepOrder): Promise<UpdatingAttempt> {
    const session = this.sessionForOrder();
    const control = session.control;
    // Each step, not the whole order, must end within the timeout.
    const unwatch = this.watch((reason) => session.abort(reason), { progress: sessionProgress(control) });
    try {
      await session.run(order, null);
    } finally {
      unwatch();
    }
    const completed = Atomics.load(control, Control.COMPLETED);
    if (session.failure === null) {
      return { completed, fault: Atomics.load(control, Control.FAULT) as FaultValue, failure: null, threads: session.threadTimings() };
    }
    this.session = null;
    await (this.closed ? this.pool.destroy() : this.pool.restart());
    // STEPS: the order's steps, fewer if a stop cut it short; a failure after the last costs none.
    if (completed >= Atomics.load(control, Control.STEPS)) return { completed, fault: 0, failure: null, threads: [] };
    restoreBlocks(this.state.poolUpdate!, this.state.params, order.firstUpdate + completed);
    return { completed, fault: 0, failure: session.failure, threads: [] };
  }

  /** Loss and predicted class of every test image. */
  async evaluate(chunk = 8): Promise<JobTiming> {
    await this.endSession();
    return this.withRetry('evaluation', () => this.attemptTasks({ kind: 'evaluation', count: this.state.test.count, chunk }, TEST_COUNTER));
  }

  /** An empty task on every thread: what piscina itself costs per job. */
  async emptyTasks(): Promise<JobTiming> {
    await this.endSession();
    return this.withRetry('empty tasks', () => this.attemptTasks({ kind: 'empty' }, null));
  }

  /** The bench's bare kernel on every thread for about `ms` milliseconds: the threads' samples/s, summed. */
  async bareKernel(ms: number): Promise<number> {
    await this.endSession();
    const job = await this.withRetry('bare kernel', () => this.attemptTasks({ kind: 'bare', ms }, null));
    return job.threads.reduce((sum, t) => sum + (t.samples * 1000) / t.computeMs, 0);
  }

  private async withRetry(what: string, attempt: (n: number) => Promise<JobTiming>): Promise<JobTiming> {
    try {
      return await attempt(0);
    } catch (first) {
      if (this.closed) throw first;
      this.session = null;
      await this.pool.restart();
      try {
        return await attempt(1);
      } catch (second) {
        throw WorkerFault.failedTwice(what, first, second);
      }
    }
  }

  /** Arms the watchdog for one attempt (watchdog.ts): `abort` gets the reason to end it with. */
  private watch(abort: (reason: Error) => void, more: Pick<Watched, 'progress' | 'extraMs'> = {}): () => void {
    const counters = this.state.counters;
    return watchJob({ started: () => Atomics.load(counters, STARTED_COUNTER), threads: this.threads, timeoutMs: this.options.timeoutMs, abort, ...more });
  }

  /** One attempt at a job of one piscina task per thread. */
  private async attemptTasks(task: Task, counter: number | null): Promise<JobTiming> {
    if (this.closed) throw new Error('the worker pool is closed');
    if (counter !== null) Atomics.store(this.state.counters, counter, 0);
    const started = performance.now();
    const watchdog = new AbortController();
    // The bare kernel runs for as long as it is told, by design, after building kernels on a memory of its own, as a thread's start does.
    const unwatch = this.watch((reason) => watchdog.abort(reason), { extraMs: task.kind === 'bare' ? task.ms + STARTUP_ALLOWANCE_MS : 0 });
    let settled: PromiseSettledResult<ThreadTiming>[];
    try {
      settled = await Promise.allSettled(this.pool.runOnEveryThread<ThreadTiming>(task, watchdog.signal));
    } finally {
      unwatch();
    }
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw watchdog.signal.aborted ? watchdog.signal.reason : failed.reason;
    const threads = settled.map((s) => (s as PromiseFulfilledResult<ThreadTiming>).value);
    return { wallMs: performance.now() - started, dispatchedAt: performance.timeOrigin + started, threads };
  }

  /** The session an order goes to (started here if none runs), its work counters reset. */
  private sessionForOrder(): StepSession {
    if (this.closed) throw new Error('the worker pool is closed');
    const session = (this.session ??= new StepSession(this.pool, this.state.slotAttempts));
    for (const counter of [TRAIN_COUNTER, NOISE_COUNTER, SUM_COUNTER, DONE_COUNTER]) Atomics.store(this.state.counters, counter, 0);
    return session;
  }

  /** One attempt at a step on the session (started here if none runs); a failure ends the session. */
  private async attemptStep(order: StepOrder, sink: SlotSink | null): Promise<JobTiming> {
    const session = this.sessionForOrder();
    const started = performance.now();
    const unwatch = this.watch((reason) => session.abort(reason));
    try {
      await session.run(order, sink);
    } finally {
      unwatch();
    }
    if (session.failure !== null) {
      this.session = null;
      throw session.failure;
    }
    return { wallMs: performance.now() - started, dispatchedAt: performance.timeOrigin + started, threads: session.threadTimings() };
  }

  /**
   * Lets the session's threads go back to the pool, where they sleep until the next job (before
   * any other job, at the end, and when the bench leaves a trainer idle). A thread that failed
   * after the last step completed leaves the pool short: it is replaced.
   */
  async endSession(): Promise<void> {
    const session = this.session;
    if (session === null) return;
    this.session = null;
    try {
      await session.stop();
    } catch {
      if (!this.closed) await this.pool.restart();
    }
  }

  /** The pool, for tests that watch or break it from outside. */
  get workerPool(): WorkerPool {
    return this.pool;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.endSession();
    await this.pool.destroy();
  }
}

/** What updatingSteps() did: its steps applied, and why it ended before the last, if it did. */
export interface UpdatingSteps {
  readonly job: JobTiming;
  /** Steps applied, from the first. */
  readonly completed: number;
  /** Fault.LOSS or Fault.MEAN: step `completed` + 1 was not finite and is not applied. */
  readonly fault: FaultValue;
  /** A WorkerFault: step `completed` + 1 failed twice. */
  readonly failure: unknown;
}

interface UpdatingAttempt {
  readonly completed: number;
  readonly fault: FaultValue;
  readonly failure: unknown;
  readonly threads: ThreadTiming[];
}
