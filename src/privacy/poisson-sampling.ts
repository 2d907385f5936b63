/** Where a step's sampling draws its uniforms in [0, 1). */
export interface UniformSource {
  nextDouble(): number;
}

/**
 * Poisson sampling, as the accountants assume: a step takes each of the `n` training samples
 * independently with probability `sampleRate`, so its batch size varies from step to step. The
 * indices taken are written in increasing order to the front of `out`; returns how many. From the
 * step's seeded stream (stepStream(seed, 'sampling', step)), a function of (seed, step) only, so
 * that any thread count and a resumed run draw the same batches; with --secure-noise from the
 * operating system's generator, so that nobody who knows the seed knows which steps took a sample.
 */
export function drawPoissonBatch(rng: UniformSource, n: number, sampleRate: number, out: Int32Array): number {
  if (out.length < n) throw new RangeError(`room for ${out.length} indices, not ${n}`);
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
 * trained whole, in several rounds over the slots (train/batch-gradient.ts), so the cap costs time, never
 * correctness or privacy.
 */
export function poissonSlots(n: number, sampleRate: number): number {
  const expected = n * sampleRate;
  const spread = Math.sqrt(expected * (1 - sampleRate));
  return Math.max(1, Math.min(n, Math.ceil(expected + 6 * spread)));
}
