import type { JobTiming } from '../parallel/tasks.js';

/** Where one training step's time went, as the main thread measured it. */
export interface StepTiming {
  /** Dispatch to last result: the parallel part of the step. */
  readonly parallelMs: number;
  /** The longest and shortest computation time among the threads that did any work. */
  readonly slowestThreadMs: number;
  readonly fastestThreadMs: number;
  /** The main thread's reduce after the last slot came in: dividing the sum it built during the step. */
  readonly reduceMs: number;
  /** The optimizer's update by the averaged gradient (main thread). */
  readonly updateMs: number;
  readonly samples: number;
}

/** Totals over many steps, plus which thread computed how many samples. */
export class TimingTotals {
  steps = 0;
  samples = 0;
  parallelMs = 0;
  /** Sum over steps of (slowest - fastest thread): time the fastest thread idles at the barrier. */
  waitMs = 0;
  /** Sum over steps of the slowest thread's computation. */
  computeMs = 0;
  reduceMs = 0;
  updateMs = 0;
  readonly samplesByThread = new Map<number, number>();

  /** A step's timing, or that of `steps` steps the pool ran at once (their samples and times in all). */
  add(step: StepTiming, job: JobTiming, steps = 1): void {
    this.steps += steps;
    this.samples += step.samples;
    this.parallelMs += step.parallelMs;
    this.computeMs += step.slowestThreadMs;
    this.waitMs += step.slowestThreadMs - step.fastestThreadMs;
    this.reduceMs += step.reduceMs;
    this.updateMs += step.updateMs;
    for (const t of job.threads) {
      if (t.samples > 0) this.samplesByThread.set(t.threadId, (this.samplesByThread.get(t.threadId) ?? 0) + t.samples);
    }
  }

  /** Parallel time not spent computing: messaging, scheduling, wake-ups. */
  get dispatchMs(): number {
    return this.parallelMs - this.computeMs;
  }
}

export function stepTiming(job: JobTiming, samples: number, reduceMs: number, updateMs: number): StepTiming {
  const working = job.threads.filter((t) => t.samples > 0).map((t) => t.computeMs);
  return {
    parallelMs: job.wallMs,
    slowestThreadMs: working.length > 0 ? Math.max(...working) : 0,
    fastestThreadMs: working.length > 0 ? Math.min(...working) : 0,
    reduceMs,
    updateMs,
    samples,
  };
}
