import { SecureUniform } from '../rng/secure-uniform.js';
import { stepStream } from '../rng/streams.js';
import { fillNormals, type NormalFill } from '../rng/ziggurat.js';

/** Where a private step's Gaussian noise comes from. */
export interface NoiseSource {
  /** True when the same seed and step give the same noise (not so for the operating system's). */
  readonly reproducible: boolean;
  /** out[j] = stddev * z_j for independent standard normals z_j. */
  fill(out: Float64Array, stddev: number, step: number): void;
}

/**
 * Coordinates per chunk of the seeded noise. Each chunk has a stream of its own, (seed, step,
 * chunk), so that the pool threads can draw a step's chunks in any order and between them (in the
 * time a thread would otherwise wait for the slowest) and still give the same noise.
 */
export const NOISE_CHUNK = 4096;

export function noiseChunks(length: number): number {
  return Math.ceil(length / NOISE_CHUNK);
}

/**
 * Chunk `chunk` of step `step`'s seeded noise into its place in `out`: normals by the ziggurat
 * (rng/ziggurat.ts), drawn by `fill` (a backend's, bitwise the same as the reference).
 */
export function drawNoiseChunk(out: Float64Array, seed: number, stddev: number, step: number, chunk: number, fill: NormalFill = fillNormals): void {
  fill(out, chunk * NOISE_CHUNK, Math.min(out.length, (chunk + 1) * NOISE_CHUNK), stddev, stepStream(seed, 'noise', step, chunk));
}

/**
 * The default: streams of (seed, step, chunk), so weights are bitwise the same for any thread
 * count and on a resume. The pool threads draw it (worker-context.ts); this draws it whole, for a
 * step the pool had no part in (an empty Poisson draw).
 */
export class SeededNoise implements NoiseSource {
  readonly reproducible = true;
  constructor(private readonly seed: number) {}

  fill(out: Float64Array, stddev: number, step: number): void {
    for (let c = 0; c < noiseChunks(out.length); c++) drawNoiseChunk(out, this.seed, stddev, step, c);
  }
}

/**
 * --secure-noise: normals from the operating system's cryptographic generator, for weights that
 * will be released. A seeded stream is predictable by whoever knows the seed, and then the noise
 * protects nothing. Marsaglia's polar method on 53-bit uniforms.
 */
export class SecureNoise implements NoiseSource {
  readonly reproducible = false;
  private readonly uniforms = new SecureUniform();

  fill(out: Float64Array, stddev: number): void {
    for (let j = 0; j < out.length; j += 2) {
      const [a, b] = this.normalPair();
      out[j] = stddev * a;
      if (j + 1 < out.length) out[j + 1] = stddev * b;
    }
  }

  private normalPair(): [number, number] {
    for (;;) {
      const x = 2 * this.uniforms.nextDouble() - 1;
      const y = 2 * this.uniforms.nextDouble() - 1;
      const r2 = x * x + y * y;
      if (r2 >= 1 || r2 === 0) continue;
      const f = Math.sqrt((-2 * Math.log(r2)) / r2);
      return [f * x, f * y];
    }
  }
}
