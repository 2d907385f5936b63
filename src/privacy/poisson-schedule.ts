import { SettingError } from '../util/errors.js';

/**
 * Poisson sampling as Opacus sets it up from a batch size: an epoch is ceil(N/B) steps and each
 * takes each sample with probability 1/ceil(N/B), so an epoch sees N samples on average and the
 * expected batch, N/ceil(N/B), is at most B. `epochs` epochs are epochs x ceil(N/B) steps.
 */
export function poissonSchedule(samples: number, batchSize: number): { sampleRate: number; stepsPerEpoch: number } {
  if (!Number.isSafeInteger(samples) || samples < 1) {
    throw new SettingError('trainSize', (name) => `${name('trainSize')} must be a whole number of at least 1, got ${samples}`);
  }
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new SettingError('batchSize', (name) => `${name('batchSize')} must be a whole number of at least 1, got ${batchSize}`);
  }
  const stepsPerEpoch = Math.ceil(samples / batchSize);
  return { sampleRate: 1 / stepsPerEpoch, stepsPerEpoch };
}

/**
 * The steps of `epochs` epochs at `sampleRate` when only the rate is known: Opacus's
 * int(epochs / sample_rate), rounded down, so a fractional last epoch is not counted. The
 * quotient is nudged up by a few ulps first, because 1/q rarely divides exactly (90 / 0.04
 * must give 2,250).
 */
export function stepsOfEpochs(epochs: number, sampleRate: number): number {
  return Math.floor((epochs / sampleRate) * (1 + 4 * Number.EPSILON));
}
