import type { FloatArray } from '../model/float-array.js';
import { flatSlotLayout, type SlotLayout } from '../model/slot-layout.js';

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
 * Per-sample clipping of a whole gradient `grad`: returns its L2 norm, and when `maxNorm` is
 * positive scales `grad` in place so that its norm is at most `maxNorm`. A `maxNorm` of 0 only
 * measures (for the gradient statistics). The kernels clip slots (clipSlot, below, and
 * kernels/wasm/assembly/clip.ts); a whole gradient is a slot with every tensor held as it is.
 */
export function clipGradient(grad: FloatArray, maxNorm: number): number {
  return clipSlot(grad, flatSlotLayout(grad.length), maxNorm);
}

/**
 * Clipping of the gradient a slot holds (model/slot-layout.ts), the reference the TypeScript
 * kernels run: a dense weight's part of the squared norm is |g|^2 |a|^2, and scaling g (the bias's
 * values) scales it, so the inputs a are left as they are. Each value of the weight is then
 * formed from the scaled g with one more rounding, which CLIP_MARGIN covers.
 */
export function clipSlot(slot: FloatArray, layout: SlotLayout, maxNorm: number): number {
  const squares = (from: number, length: number): number => {
    let sum = 0;
    for (let j = from; j < from + length; j++) sum += slot[j] * slot[j];
    return sum;
  };
  let total = 0;
  for (const c of layout.copies) total += squares(c.slot, c.length);
  for (const o of layout.outers) total += squares(o.output, o.rows) * squares(o.input, o.columns);
  const norm = Math.sqrt(total);
  if (maxNorm > 0) {
    const factor = clipFactor(norm, maxNorm);
    if (factor < 1) for (const c of layout.copies) for (let j = c.slot; j < c.slot + c.length; j++) slot[j] *= factor;
  }
  return norm;
}
