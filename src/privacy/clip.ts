import type { FloatArray } from '../model/float-array.js';

/**
 * How far below the clip norm C gradients are held: the norm is computed with rounding, and
 * storing the scaled values rounds each by up to half a unit in the last place (2^-24 relative in
 * float32), either of which could leave a norm a hair above C, and C is what the noise is
 * calibrated to. Every gradient whose computed norm exceeds C (1 - 2^-20) is scaled to that.
 */
export const CLIP_MARGIN = 2 ** -20;

/** The factor a gradient of L2 norm `norm` is scaled by to have norm at most `maxNorm` (1 when it has already). */
export function clipFactor(norm: number, maxNorm: number): number {
  const target = maxNorm * (1 - CLIP_MARGIN);
  return norm > target ? target / norm : 1;
}

/**
 * Per-sample clipping, the reference (the TypeScript kernels run it; wasm has its own in
 * kernels/wasm/assembly/clip.ts): returns the L2 norm of `grad` over all parameters, and when
 * `maxNorm` is positive scales `grad` in place so that its norm is at most `maxNorm`. A `maxNorm`
 * of 0 only measures (for the gradient statistics).
 */
export function clipGradient(grad: FloatArray, maxNorm: number): number {
  let squares = 0;
  for (let j = 0; j < grad.length; j++) squares += grad[j] * grad[j];
  const norm = Math.sqrt(squares);
  if (maxNorm > 0) {
    const factor = clipFactor(norm, maxNorm);
    if (factor < 1) for (let j = 0; j < grad.length; j++) grad[j] *= factor;
  }
  return norm;
}
