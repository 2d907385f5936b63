import { epsilonSpent } from './accountant.js';
import { type NoiseSource, SecureNoise, SeededNoise } from './gaussian-noise.js';
import { type PrivacyGuarantee, type PrivacySettings, sampleRateOf } from './privacy-settings.js';

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

  constructor(
    readonly settings: PrivacySettings,
    samples: number,
    batchSize: number,
    seed: number,
    /** Where the step's noise is drawn: shared with the pool threads, which draw seeded noise there. */
    private readonly noise: Float64Array,
  ) {
    this.sampleRate = sampleRateOf(settings.sampling, samples, batchSize);
    // Poisson's public divisor is the expected batch; shuffled batches' is the batch size, or all
    // the samples where it asks for more (a batch of 3,000 out of 1,000 holds 1,000). A last
    // partial batch is divided by it too: a public constant, not the size this batch happens to be.
    this.divisor = settings.sampling === 'poisson' ? this.sampleRate * samples : Math.min(batchSize, samples);
    this.source = settings.secureNoise ? new SecureNoise() : new SeededNoise(seed);
  }

  /** The noise's standard deviation on every coordinate: sigma x clip. */
  get stddev(): number {
    return this.settings.noise * this.settings.clip;
  }

  /**
   * N(0, (noise x clip)^2) on every coordinate, for optimizer step `step` (counting from 1). The
   * pool threads draw seeded noise while they compute the step (`drawnByPool`); this thread draws
   * the operating system's, and a step's the pool had no part in.
   */
  noiseFor(step: number, drawnByPool: boolean): Float64Array {
    if (!(drawnByPool && this.source.reproducible)) this.source.fill(this.noise, this.stddev, step);
    return this.noise;
  }

  /** What `steps` steps of this run have spent, by its accountant. */
  guarantee(steps: number): PrivacyGuarantee {
    const { noise, clip, delta, accountant, sampling, secureNoise } = this.settings;
    const epsilon = epsilonSpent(accountant, { sampleRate: this.sampleRate, noise, steps }, delta).epsilon;
    return { epsilon, delta, accountant, noise, clip, sampleRate: this.sampleRate, steps, sampling, covered: sampling === 'poisson', secureNoise };
  }
}
