import { defaultMaxListeners, setMaxListeners } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { backendFrom } from '../kernels/index.js';
import { CLAIMED_COUNTER, type SharedState, STARTED_COUNTER, type ThreadData } from './shared-state.js';
import { gradientWorkerPath } from './worker-path.js';

/** The longest delay setTimeout keeps (2^31-1 ms); Node turns a longer one into 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Pool threads load the worker module with import(), not require(). piscina tries require() first,
 * and Node 20.19+ then loads an ES module through a facade whose instantiation it asserts: a thread
 * terminated at that moment (a pool destroyed while piscina replaced a failed thread) aborted the
 * whole process, three times in ~28,000 rounds of a stress loop and never in 12,000 with this
 * flag: piscina's require() then throws, and it falls back to import(), which handles termination.
 * Only this flag, not the process's own: Worker refuses some of those (--max-old-space-size,
 * --stack-size) when they are passed explicitly; the heap limit comes from resourceLimits.
 */
const NO_REQUIRE_ESM = '--no-experimental-require-module';
const POOL_EXEC_ARGV = process.allowedNodeEnvironmentFlags.has(NO_REQUIRE_ESM) ? [NO_REQUIRE_ESM] : undefined;

/**
 * The run's piscina pool: `threads` threads started once and kept alive between jobs (no idle
 * teardown), each given the shared state when it starts, replaced all together after a fault.
 */
export class WorkerPool {
  private piscina: Piscina;
  /** The threads given the last tasks: piscina forgets a thread whose task was aborted before it has exited. */
  private tasked: Worker[] = [];
  private destroyed: Promise<void> | null = null;
  /**
   * A scratch area per thread, made once: the threads that replace failed ones take them over, as
   * the shared wasm memory never frees any (worker-context.ts claims them in order).
   */
  private readonly areas: Float64Array;

  constructor(
    private readonly state: SharedState,
    readonly threads: number,
    private readonly heapMb: number,
  ) {
    const backend = backendFrom(state.backend);
    this.areas = new Float64Array(new SharedArrayBuffer(threads * 8)).fill(-1);
    for (let i = 0; i < threads; i++) this.areas[i] = backend.allocArea(state.model) ?? -1;
    this.piscina = this.start();
  }

  private start(): Piscina {
    // Each thread claims an area and counts itself in once started (worker-context.ts); the old ones have exited.
    Atomics.store(this.state.counters, STARTED_COUNTER, 0);
    Atomics.store(this.state.counters, CLAIMED_COUNTER, 0);
    const piscina = new Piscina({
      filename: gradientWorkerPath(),
      execArgv: POOL_EXEC_ARGV,
      minThreads: this.threads,
      maxThreads: this.threads,
      // Threads are the run's fixed resource; tearing them down between jobs would cost a restart.
      idleTimeout: MAX_TIMER_MS,
      // One task per thread at a time, so a job's tasks spread over every thread.
      concurrentTasksPerWorker: 1,
      // A runaway allocation then kills that worker, not the process.
      resourceLimits: { maxOldGenerationSizeMb: this.heapMb },
      workerData: { ...this.state, areas: this.areas } satisfies ThreadData,
    });
    // piscina emits 'error' for a thread that fails while it runs no task: one whose task the
    // watchdog had already aborted (an allocation that outran a short timeout did, on a loaded
    // machine). That job has failed already and piscina replaces the thread, so the event carries
    // no news; unheard, it would end the process.
    piscina.on('error', () => undefined);
    return piscina;
  }

  /**
   * One run of `task` per pool thread, all cancelled by `signal` (piscina terminates a thread whose
   * running task is aborted). piscina adds an abort listener per task, and from 11 threads on Node
   * would warn of a listener leak on the shared signal.
   */
  runOnEveryThread<T>(task: unknown, signal: AbortSignal): Promise<T>[] {
    setMaxListeners(Math.max(defaultMaxListeners, this.threads), signal);
    this.tasked = this.piscina.threads;
    return Array.from({ length: this.threads }, () => this.piscina.run(task, { signal }) as Promise<T>);
  }

  /**
   * Replaces every thread: a failed worker may have left the others mid-task or the pool short.
   * The old threads are gone before the new ones start: Node has crashed on threads being created
   * while others were terminated (nodejs/node#56312), and a thread whose task was aborted must not
   * write into the shared state once the caller puts it back. piscina's destroy() waits only for
   * the threads it still holds, so those given the last tasks are awaited too (a thread that no
   * longer runs has threadId -1).
   */
  async restart(): Promise<void> {
    await this.stopThreads();
    // Destroyed meanwhile (a close during the restart): no new threads that nothing would end.
    if (this.destroyed === null) this.piscina = this.start();
  }

  /** Ends every thread for good; the same promise to every caller, settled once none runs. */
  destroy(): Promise<void> {
    this.destroyed ??= this.stopThreads();
    return this.destroyed;
  }

  private async stopThreads(): Promise<void> {
    const tasked = this.tasked;
    // piscina replaces a thread that fails or exits while it is not destroying: an aborted thread
    // that did so after destroy() (one running out of memory emits 'error', then 'exit') would have
    // the discarded pool start a new set, which nothing would end. Its errors are news to no one.
    const running = tasked.filter((worker) => worker.threadId !== -1);
    for (const worker of running) {
      worker.removeAllListeners('exit');
      worker.removeAllListeners('error');
      worker.on('error', () => undefined);
    }
    const exits = running.map((worker) => new Promise((resolve) => worker.once('exit', resolve)));
    await this.piscina.destroy().catch(() => undefined);
    await Promise.all(exits);
  }

  /** The piscina pool itself, for tests that watch or break it from outside. */
  get underlying(): Piscina {
    return this.piscina;
  }
}
