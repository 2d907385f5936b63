import { stepStream } from '../rng/streams.js';

/**
 * Poisson sampling, as the accountants assume: step `step` takes each of the `n` training samples
 * independently with probability `sampleRate`, so its batch size varies from step to step. The
 * indices taken are written in increasing order to the front of `out`; returns how many. A
 * function of (seed, step) only, so any thread count and a resumed run draw the same batches.
 */
export function drawPoissonBatch(seed: number, step: number, n: number, sampleRate: number, out: Int32Array): number {
  if (out.length < n) throw new RangeError(`room for ${out.length} indices, not ${n}`);
  const rng = stepStream(seed, 'sampling', step);
  // The gaps between samples taken are geometric: the number skipped before the next one taken
  // is floor(ln U / ln(1 - q)) for U uniform in (0, 1], which draws one number per sample taken
  // rather than one per sample (a 30th of the work at q = 1/30, and q = 1 takes every sample).
  const logKeep = Math.log1p(-sampleRate);
  let count = 0;
  for (let i = Math.floor(Math.log(1 - rng.nextDouble()) / logKeep); i < n; i += 1 + Math.floor(Math.log(1 - rng.nextDouble()) / logKeep)) {
    out[count++] = i;
  }
  return count;
}

/**
 * Gradient slots for Poisson batches of expected size `expected` out of `n`: six standard
 * deviations above it, which a draw passes about once in a billion steps. A larger draw is still
 * trained whole, in several passes over the slots (trainer.ts), so the cap costs time, never
 * correctness or privacy.
 */
export function poissonSlots(n: number, sampleRate: number): number {
  const expected = n * sampleRate;
  const spread = Math.sqrt(expected * (1 - sampleRate));
  return Math.max(1, Math.min(n, Math.ceil(expected + 6 * spread)));
}
