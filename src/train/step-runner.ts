import type { Optimizer } from '../optim/optimizer.js';
import type { Coordinator } from '../parallel/coordinator.js';
import { MAX_ORDER_STEPS } from '../parallel/pool-update.js';
import type { FloatArray } from '../model/float-array.js';
import { Fault, type FaultValue } from '../parallel/session-protocol.js';
import type { SharedState } from '../parallel/shared-state.js';
import type { BatchPlan } from './batch-plan.js';
import type { BatchGradient } from './batch-gradient.js';
import type { Batch } from './batches.js';
import { type NoiseScaleEstimate, squaredNorm } from './gradient-noise-scale.js';
import { stepTiming, type StepTiming, type TimingTotals } from './step-timing.js';

/** A step's outcome: its batch's summed loss, and where its time went. */
export interface StepDone {
  readonly lossSum: number;
  readonly samples: number;
  readonly timing: StepTiming;
}

/** A step that was not applied: what was not finite ('a non-finite training loss', ...), by optimizer step. */
export type FaultAt = (step: number, what: string) => Error;

/** What each kind of fault says. */
const FAULTS: Record<Exclude<FaultValue, 0>, string> = {
  [Fault.LOSS]: 'a non-finite training loss',
  [Fault.MEAN]: 'a non-finite averaged gradient',
  [Fault.UPDATE]: 'a non-finite update (the learning rate, or a gradient, too large for the precision)',
};

/**
 * Runs optimizer steps, one at a time with the main thread between them (it averages and
 * applies each), or several at once with the pool applying them (Coordinator.updatingSteps)
 * where that is possible: ordinary training while the pool threads sum. Both give bitwise the
 * same weights; a step whose loss, mean or update is not finite throws, and nothing of it is kept.
 */
export class StepRunner {
  private backup: { params: FloatArray; buffers: Record<string, FloatArray> } | null = null;

  constructor(
    private readonly coordinator: Coordinator,
    private readonly state: SharedState,
    private readonly gradient: BatchGradient,
    private readonly optimizer: Optimizer,
    private readonly plan: BatchPlan,
    private readonly noiseScale: NoiseScaleEstimate | null,
  ) {}

  /**
   * Steps of the current epoch from `index` as run() takes them, at most `limit`: several at once
   * where the pool can apply them, else one; `each` sees every applied step in order. A step whose
   * loss or mean is not finite throws (from faultAt) and nothing of it is kept, so the parameters
   * stay the last good ones. Returns how many steps were applied.
   */
  async steps(index: number, limit: number, faultAt: FaultAt, each: (done: StepDone) => void, totals?: TimingTotals): Promise<number> {
    const atOnce = this.stepsAtOnce(index, Math.max(1, limit));
    if (atOnce > 0) return this.severalSteps(index, atOnce, faultAt, each, totals);
    each(await this.oneStep(this.batchOf(index), faultAt, totals));
    return 1;
  }

  /** Step `index` of the current epoch, for the next optimizer step (a private run draws it). */
  batchOf(index: number): Batch {
    return this.plan.batch(index, this.optimizer.step + 1, this.state.imageAt);
  }

  /**
   * How many of the epoch's steps from `index` (at most `limit`) the pool can run at once: batches
   * of one size that follow one another in the order (the pool applies only ordinary training,
   * whose batches do not depend on the step); 0 if it cannot.
   */
  private stepsAtOnce(index: number, limit: number): number {
    if (!this.coordinator.poolUpdates) return 0;
    const first = this.batchOf(index);
    // A batch beyond the slots goes through them in rounds, which only the main thread carries.
    if (first.count > this.state.batchSize) return 0;
    let steps = 1;
    while (steps < Math.min(limit, MAX_ORDER_STEPS, this.plan.steps - index)) {
      const next = this.batchOf(index + steps);
      if (next.count !== first.count || next.start !== first.start + steps * first.count) break;
      steps++;
    }
    return steps;
  }

  /**
   * Steps index, index + 1, ... (as many as stepsAtOnce allowed) applied by the pool; returns how
   * many. A step that is not finite, or a thread that failed twice, throws once the steps before
   * it are handed to `each`.
   */
  private async severalSteps(index: number, steps: number, faultAt: FaultAt, each: (done: StepDone) => void, totals?: TimingTotals): Promise<number> {
    const { start, count } = this.batchOf(index);
    const firstStep = this.optimizer.step + 1;
    const run = await this.coordinator.updatingSteps(start, count, firstStep, steps);
    // The threads' times cover all the steps, their averaging and updates included.
    const all = stepTiming(run.job, count * run.completed, 0, 0);
    const timing = { ...all, samples: count, parallelMs: all.parallelMs / Math.max(1, run.completed) };
    if (run.completed > 0) totals?.add(all, run.job, run.completed);
    const losses = this.state.poolUpdate!.stepLosses;
    for (let s = 0; s < run.completed; s++) {
      this.optimizer.step++;
      each({ lossSum: losses[s], samples: count, timing });
    }
    if (run.fault !== Fault.NONE) throw faultAt(this.optimizer.step + 1, FAULTS[run.fault]);
    if (run.failure !== null) throw run.failure;
    return run.completed;
  }

  /**
   * The optimizer's update of the parameters by `mean`, undone from a copy taken just before (and
   * thrown as a fault) when it leaves a parameter or a state value not finite, as the pool threads
   * undo theirs (pool-update.ts).
   */
  private updateKept(step: number, mean: FloatArray, faultAt: FaultAt): void {
    const { params } = this.state;
    const backup = this.backup ?? (this.backup = { params: params.slice(), buffers: Object.fromEntries(Object.entries(this.optimizer.buffers).map(([name, values]) => [name, values.slice()])) });
    backup.params.set(params);
    for (const [name, values] of Object.entries(this.optimizer.buffers)) backup.buffers[name].set(values);
    if (this.optimizer.update(params, mean)) return;
    this.optimizer.step = step - 1;
    params.set(backup.params);
    for (const [name, values] of Object.entries(this.optimizer.buffers)) values.set(backup.buffers[name]);
    throw faultAt(step, FAULTS[Fault.UPDATE]);
  }

  /** One step with the main thread averaging and applying it. */
  async oneStep(batch: Batch, faultAt: FaultAt, totals?: TimingTotals): Promise<StepDone> {
    const step = this.optimizer.step + 1;
    const { job, lossSum, squaredNormSum } = await this.gradient.sum(batch, step);
    if (!Number.isFinite(lossSum)) throw faultAt(step, FAULTS[Fault.LOSS]);
    const reduceStart = performance.now();
    const { mean, finite } = this.gradient.finish(batch.count, step);
    const updateStart = performance.now();
    if (!finite) throw faultAt(step, FAULTS[Fault.MEAN]);
    this.updateKept(step, mean, faultAt);
    this.gradient.keepNorms();
    this.noiseScale?.addBatch(batch.count, squaredNormSum, squaredNorm(mean));
    const updateEnd = performance.now();
    const timing = stepTiming(job, batch.count, updateStart - reduceStart, updateEnd - updateStart);
    totals?.add(timing, job);
    return { lossSum, samples: batch.count, timing };
  }
}
