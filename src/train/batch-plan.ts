import { drawPoissonBatch, poissonSlots } from '../privacy/poisson-sampling.js';
import type { SecureUniform } from '../rng/secure-uniform.js';
import { type RandomStreams, stepStream } from '../rng/streams.js';
import { type Batch, epochBatches } from './batches.js';
import { poissonSchedule } from '../privacy/poisson-schedule.js';
import type { Sampling } from '../privacy/privacy-settings.js';

/**
 * Which samples each step of an epoch trains on. The trainer asks the plan once per epoch and once
 * per step; the plan lays the samples out in the shared order array the threads read, and says
 * where the step's batch lies in it.
 */
export interface BatchPlan {
  /** Steps per epoch. */
  readonly steps: number;
  /** Gradient slots to allocate: a batch bigger than this is trained in rounds over them. */
  readonly slots: number;
  /** Called when an epoch starts or a resumed run enters one; may write the training image of each batch position into `imageAt`. */
  startEpoch(epoch: number, imageAt: Int32Array): void;
  /** Step `index` of the epoch, optimizer step `step` of the run (counting from 1); may write its images into `imageAt`. */
  batch(index: number, step: number, imageAt: Int32Array): Batch;
}

/** The steps of an epoch, as the plan the trainer makes for these settings will take them. */
export function stepsPerEpoch(samples: number, batchSize: number, dropLast: boolean, sampling: Sampling | undefined): number {
  return sampling === 'poisson' ? poissonSchedule(samples, batchSize).stepsPerEpoch : epochBatches(samples, batchSize, dropLast).length;
}

/** Ordinary training: the epoch's shuffle, cut into consecutive batches (see batches.ts). */
export class ShuffledBatches implements BatchPlan {
  private readonly batches: Batch[];
  readonly slots: number;

  constructor(
    private readonly streams: RandomStreams,
    private readonly samples: number,
    batchSize: number,
    dropLast: boolean,
  ) {
    this.batches = epochBatches(samples, batchSize, dropLast);
    this.slots = Math.min(batchSize, Math.max(1, samples));
  }

  get steps(): number {
    return this.batches.length;
  }

  startEpoch(epoch: number, imageAt: Int32Array): void {
    imageAt.set(this.streams.epochPermutation(epoch, this.samples));
  }

  batch(index: number): Batch {
    return this.batches[index];
  }
}

/**
 * Private training's default: each step draws its own batch, taking every sample with probability
 * `sampleRate` (privacy/poisson-sampling.ts), for 1/sampleRate steps an epoch (poissonSchedule),
 * so that an epoch sees as many samples as the training set holds on average.
 */
export class PoissonBatches implements BatchPlan {
  readonly slots: number;
  readonly steps: number;
  private readonly sampleRate: number;

  /**
   * With `secure` (--secure-noise) the batches come from the operating system's generator: the
   * subsampling's amplification holds only if the batches are as secret as the noise.
   */
  constructor(
    private readonly seed: number,
    private readonly samples: number,
    schedule: { sampleRate: number; stepsPerEpoch: number },
    private readonly secure: SecureUniform | null = null,
  ) {
    this.sampleRate = schedule.sampleRate;
    this.steps = schedule.stepsPerEpoch;
    this.slots = poissonSlots(samples, this.sampleRate);
  }

  startEpoch(): void {}

  batch(_index: number, step: number, imageAt: Int32Array): Batch {
    const rng = this.secure ?? stepStream(this.seed, 'sampling', step);
    return { start: 0, count: drawPoissonBatch(rng, this.samples, this.sampleRate, imageAt) };
  }
}
