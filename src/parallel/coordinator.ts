import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { WorkerFault } from '../train/faults.js';
import { type SharedState, TEST_COUNTER, TRAIN_COUNTER } from './shared-state.js';
import { runOnEveryThread } from './run-on-every-thread.js';
import { Control, StepSession, type StepOrder } from './step-session.js';
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

/** The longest delay setTimeout keeps (2^31-1 ms); Node turns a longer one into 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export const DEFAULT_COORDINATOR_OPTIONS: CoordinatorOptions = {
  phaseTimeoutMs: 10 * 60_000,
  workerHeapMb: 512,
};

/**
 * Takes a gradients phase's slots on the main thread as they complete, while the workers compute
 * the rest: add(0, a), add(a, b), ... in sample order; a retried phase starts again from slot 0.
 */
export interface SlotSink {
  /** Slots [from, to) are complete. */
  add(from: number, to: number): void;
}

/**
 * How long the main thread sleeps between looks at the completed slots (the step's end wakes it at
 * once). Each look takes a core from a computing thread when there are as many threads as cores:
 * in 3 alternating bench runs at 2 threads, 2 ms gave 35.0k/31.7k/35.2k samples/s, 0.5 ms
 * 34.3k/31.4k/33.4k, and summing only at the end (100 ms) 34.1k/31.2k/27.4k.
 */
const SLOT_POLL_MS = 2;

/**
 * Pool threads load the worker module with import(), not require(). piscina tries require() first,
 * and Node 20.19+ then loads an ES module through a facade whose instantiation it asserts: a thread
 * terminated at that moment (a pool destroyed while piscina replaced a failed thread) aborted the
 * whole process, three times in ~28,000 rounds of a stress loop (threads exit, are replaced, the
 * pool is destroyed) and never in 12,000 with this flag: piscina's require() then throws, and it
 * falls back to import(), which handles termination.
 * Only this flag, not the process's own: Worker refuses some of those (--max-old-space-size,
 * --stack-size) when they are passed explicitly; the heap limit comes from resourceLimits.
 */
const NO_REQUIRE_ESM = '--no-experimental-require-module';
const POOL_EXEC_ARGV = process.allowedNodeEnvironmentFlags.has(NO_REQUIRE_ESM) ? [NO_REQUIRE_ESM] : undefined;

/** How long session threads spin for the next step before sleeping; steps are ~0.1-0.3 ms apart. */
const SESSION_SPIN_MS = 2;

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
 * samples from a shared counter until none are left. Training steps run on a session
 * (step-session.ts): one task per thread for a run of consecutive steps, each posted through
 * shared memory.
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
  private session: StepSession | null = null;
  private readonly options: CoordinatorOptions;

  constructor(
    readonly state: SharedState,
    readonly threads: number,
    options: Partial<CoordinatorOptions> = {},
  ) {
    this.options = { ...DEFAULT_COORDINATOR_OPTIONS, ...options };
    const { phaseTimeoutMs } = this.options;
    if (!(phaseTimeoutMs >= 1 && phaseTimeoutMs <= MAX_TIMER_MS)) {
      throw new RangeError(`phaseTimeoutMs must lie between 1 and ${MAX_TIMER_MS} (a timer's limit), got ${phaseTimeoutMs}`);
    }
    this.pool = this.startPool();
  }

  private startPool(): Piscina {
    return new Piscina({
      filename: gradientWorkerPath(),
      execArgv: POOL_EXEC_ARGV,
      minThreads: this.threads,
      maxThreads: this.threads,
      // Threads are the run's fixed resource; tearing them down between steps would cost a restart.
      idleTimeout: MAX_TIMER_MS,
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
    return this.runPhase(
      (attempt) => this.attemptStep({ batchStart, batchCount: count, chunk, step, attempt, stamp: ++this.attempts }, sink),
      `step ${step}`,
    );
  }

  /** Loss and predicted class of every test image. */
  async evaluate(chunk = 8): Promise<PhaseTiming> {
    await this.endSession();
    return this.runPhase(() => this.attemptPhase({ kind: 'evaluate', count: this.state.test.count, chunk }, TEST_COUNTER), 'evaluation');
  }

  /** An empty task on every thread: what piscina itself costs per phase. */
  async noop(): Promise<PhaseTiming> {
    await this.endSession();
    return this.runPhase(() => this.attemptPhase({ kind: 'noop' }, null), 'empty task');
  }

  private async runPhase(attempt: (n: number) => Promise<PhaseTiming>, what: string): Promise<PhaseTiming> {
    try {
      return await attempt(0);
    } catch (first) {
      if (this.closed) throw first;
      await this.restartPool();
      try {
        return await attempt(1);
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
      const settled = await Promise.allSettled(runOnEveryThread<TaskResult>(this.pool, task, this.threads, watchdog.signal));
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw watchdog.signal.aborted ? watchdog.signal.reason : failed.reason;
      const tasks = settled.map((s) => (s as PromiseFulfilledResult<TaskResult>).value);
      return { wallMs: performance.now() - started, dispatchedAt: performance.timeOrigin + started, tasks };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * One try of a training step on the session (started here if none runs): post the order, feed
   * the sink each slot as it completes, return once every thread has checked in. A failed thread
   * or the watchdog ends the session, and the step throws.
   */
  private async attemptStep(order: StepOrder, sink: SlotSink | null): Promise<PhaseTiming> {
    if (this.closed) throw new Error('the worker pool is closed');
    const session = (this.session ??= new StepSession(this.pool, this.threads, this.spin()));
    Atomics.store(this.state.counters, TRAIN_COUNTER, 0);
    const started = performance.now();
    const timer = setTimeout(() => session.abort(new PhaseTimeout(this.options.phaseTimeoutMs)), this.options.phaseTimeoutMs);
    try {
      session.post(order);
      await this.followStep(session, order, sink);
      if (session.failure !== null) {
        this.session = null;
        throw session.failure;
      }
      return { wallMs: performance.now() - started, dispatchedAt: performance.timeOrigin + started, tasks: session.results() };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Until every session thread has checked in (or the session failed): feeds the sink each slot
   * stamped by this attempt, in order. Between looks it sleeps without blocking the event loop, so
   * the watchdog and piscina's messages run; the last thread to check in wakes it.
   */
  private async followStep(session: StepSession, order: StepOrder, sink: SlotSink | null): Promise<void> {
    const { slotStamps } = this.state;
    const { batchCount, stamp } = order;
    let next = sink === null ? batchCount : 0;
    for (;;) {
      const checkedIn = session.checkedIn;
      let complete = next;
      while (complete < batchCount && Atomics.load(slotStamps, complete) === stamp) complete++;
      if (complete > next) sink!.add(next, complete);
      next = complete;
      if ((next === batchCount && checkedIn === this.threads) || session.failure !== null) return;
      const wait = waitAsync(session.control, Control.CHECKED_IN, checkedIn, SLOT_POLL_MS);
      if (wait.async) await wait.value;
    }
  }

  /** Spinning as step-session.ts explains: only where it takes no core from a thread that has work. */
  private spin(): { spinMs: number; lastSpinMs: number } {
    const cores = availableParallelism();
    return { spinMs: this.threads <= cores ? SESSION_SPIN_MS : 0, lastSpinMs: this.threads < cores ? SESSION_SPIN_MS : 0 };
  }

  /**
   * Lets the session's threads go back to the pool (before any other phase, and at the end). A
   * thread that failed after the last step completed leaves the pool short: it is replaced.
   */
  private async endSession(): Promise<void> {
    const session = this.session;
    if (session === null) return;
    this.session = null;
    try {
      await session.stop();
    } catch {
      if (!this.closed) await this.restartPool();
    }
  }

  /**
   * Replaces every thread: a failed worker may have left the others mid-task or the pool short.
   * The old threads are gone before the new ones start: Node has crashed on threads being created
   * while others were terminated (nodejs/node#56312).
   */
  private async restartPool(): Promise<void> {
    this.session = null;
    await this.pool.destroy().catch(() => undefined);
    this.pool = this.startPool();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.endSession();
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
