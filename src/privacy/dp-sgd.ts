import { epsilonSpent } from './accountant.js';
import { poissonSchedule } from './poisson-schedule.js';
import { type NoiseSource, SecureNoise, SeededNoise } from './gaussian-noise.js';
import type { PrivacyGuarantee, PrivacySettings } from './privacy-settings.js';

/**
 * The main thread's half of DP-SGD (the pool threads clip each sample's gradient in its slot):
 * the Gaussian noise of each step, the public divisor, and the privacy spent so far.
 *
 * The divisor is the expected batch size, sampleRate x N, the same every step: dividing by the
 * size a Poisson draw happened to give would publish that size, which the accounting does not
 * cover. Shuffled batches have a fixed size, the batch size.
 */
export class DpSgd {
  readonly sampleRate: number;
  readonly divisor: number;
  private readonly source: NoiseSource;
  private readonly noise: Float64Array;
  /** The step whose noise `noise` holds (0: none yet). */
  private noiseStep = 0;

  constructor(
    readonly settings: PrivacySettings,
    samples: number,
    batchSize: number,
    seed: number,
    parameterCount: number,
  ) {
    if (settings.sampling === 'poisson') {
      this.sampleRate = poissonSchedule(samples, batchSize).sampleRate;
      this.divisor = this.sampleRate * samples;
    } else {
      this.sampleRate = Math.min(1, batchSize / samples);
      this.divisor = batchSize;
    }
    this.source = settings.secureNoise ? new SecureNoise() : new SeededNoise(seed);
    this.noise = new Float64Array(parameterCount);
  }

  /**
   * Draws step `step`'s noise ahead of noiseFor. The trainer calls it while the pool computes the
   * step's gradients, so that on a machine with a core to spare the draw (a normal per parameter,
   * about 1 ms for 26,000) costs no time.
   */
  prepareNoise(step: number): void {
    this.noise.fill(0);
    this.source.add(this.noise, this.settings.noise * this.settings.clip, step);
    this.noiseStep = step;
  }

  /** N(0, (noise x clip)^2) on every coordinate, for optimizer step `step` (counting from 1). */
  noiseFor(step: number): Float64Array {
    if (this.noiseStep !== step) this.prepareNoise(step);
    return this.noise;
  }

  /** What `steps` steps of this run have spent, by its accountant. */
  guarantee(steps: number): PrivacyGuarantee {
    const { noise, clip, delta, accountant, sampling } = this.settings;
    const epsilon = epsilonSpent(accountant, { sampleRate: this.sampleRate, noise, steps }, delta).epsilon;
    return { epsilon, delta, accountant, noise, clip, sampleRate: this.sampleRate, steps, sampling, covered: sampling === 'poisson' };
  }
}
