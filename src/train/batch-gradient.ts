import type { Backend } from '../kernels/index.js';
import type { FloatArray } from '../model/float-array.js';
import { modelShape } from '../model/model.js';
import type { SlotSum } from '../optim/average-slots.js';
import type { Coordinator } from '../parallel/coordinator.js';
import type { SharedState } from '../parallel/shared-state.js';
import { Summing } from '../parallel/session-protocol.js';
import type { JobTiming } from '../parallel/tasks.js';
import type { DpSgd } from '../privacy/dp-sgd.js';
import type { Batch } from './batches.js';
import type { EpochNorms } from './norm-statistics.js';

/**
 * A step's gradient, from the pool's per-sample slots to the vector the optimizer applies: the
 * main thread sums the slots as they complete (or the pool threads sum them, by blocks of
 * coordinates, once all are: the coordinator decides), then divides the sum by the batch size or,
 * in private training, adds the noise (which the pool threads drew) and divides by the public divisor.
 */
export class BatchGradient {
  /** Sums the batch's slots on this thread as the pool completes them. */
  private readonly slotSum: SlotSum;
  private readonly mean: FloatArray;
  /** The step's per-sample norms, kept for the epoch's statistics only once the step stands (keepNorms). */
  private readonly stepNorms: number[] = [];

  constructor(
    private readonly coordinator: Coordinator,
    private readonly state: SharedState,
    backend: Backend,
    private readonly dpSgd: DpSgd | null,
    private readonly epochNorms: EpochNorms | null,
  ) {
    this.slotSum = backend.slotSum(state.gradSlots, modelShape(state.model).slots, state.batchSums);
    this.mean = state.mean;
  }

  /**
   * Computes and sums the gradients of the batch at positions [start, start+count) of imageAt,
   * for optimizer step `step`; returns the samples' summed loss. A batch larger than the slots (a
   * large Poisson draw) is computed in rounds of at most that many samples, each carried into the
   * next, which sums in the same sample order as a single round would.
   */
  async sum(batch: Batch, step: number): Promise<{ job: JobTiming; lossSum: number; squaredNormSum: number }> {
    const slots = this.state.batchSize;
    let job: JobTiming = { wallMs: 0, dispatchedAt: performance.timeOrigin + performance.now(), threads: [] };
    let lossSum = 0;
    let squaredNormSum = 0;
    this.stepNorms.length = 0;
    for (let done = 0; done < batch.count; done += slots) {
      const count = Math.min(slots, batch.count - done);
      if (done > 0) this.slotSum.carry();
      const round = this.coordinator.poolSums
        ? await this.coordinator.gradients(batch.start + done, count, step, null, done > 0 ? Summing.POOL_FROM_CARRIED : Summing.POOL)
        : await this.coordinator.gradients(batch.start + done, count, step, this.slotSum);
      if (this.coordinator.poolSums) this.slotSum.summedInPool();
      job = { ...round, wallMs: job.wallMs + round.wallMs, dispatchedAt: done === 0 ? round.dispatchedAt : job.dispatchedAt };
      const losses = this.state.batchLosses;
      for (let i = 0; i < count; i++) lossSum += losses[i];
      if (this.epochNorms !== null) for (let i = 0; i < count; i++) this.stepNorms.push(this.state.sampleNorms[i]);
      if (this.state.perSample.measureNorms) for (let i = 0; i < count; i++) squaredNormSum += this.state.sampleNorms[i] ** 2;
    }
    return { job, lossSum, squaredNormSum };
  }

  /** The step stands (its loss and mean are finite): its samples' norms count toward the epoch's statistics. */
  keepNorms(): void {
    this.epochNorms?.add(this.stepNorms, this.stepNorms.length);
  }

  /**
   * The vector the optimizer applies, once sum() has taken the batch's `count` samples, and
   * whether every value of it is finite.
   */
  finish(count: number, step: number): { mean: FloatArray; finite: boolean } {
    const dp = this.dpSgd;
    const finite = dp === null
      ? this.slotSum.finish(this.mean, count)
      : this.slotSum.finish(this.mean, dp.divisor, dp.noiseFor(step, count > 0));
    return { mean: this.mean, finite };
  }
}
