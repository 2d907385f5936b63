import type { FloatArray } from '../model/float-array.js';
import type { SlotLayout } from '../model/slot-layout.js';

/** Pixels of one image set as stored in shared memory; the network sees pixels[i] / divisor. */
export interface ImageSource {
  readonly pixels: Uint8Array | Float32Array | Float64Array;
  readonly divisor: number;
}

/**
 * What a worker needs from a kernel implementation, one sample at a time. The TypeScript
 * Network is the reference; faster implementations sit beside it behind this interface and are
 * tested against it. Keeping each sample's computation independent of its neighbours is what
 * makes the result bitwise the same whatever the thread count.
 */
export interface SampleKernels {
  /** How sampleGradient lays out a gradient slot: a dense weight as its factors (model/slot-layout.ts). */
  readonly slots: SlotLayout;
  /**
   * Called once at the start of every job (a step, an evaluation), after the parameters last changed: kernels that
   * repack the weights into their own layout do it here. The TypeScript network needs nothing.
   */
  prepare(params: FloatArray): void;
  /** Loss of image `index`; its gradient is written into `gradSlot` (`slots.length` values, overwritten, not accumulated). */
  sampleGradient(params: FloatArray, images: ImageSource, index: number, label: number, gradSlot: FloatArray): number;
  /**
   * The L2 norm of a gradient slot over all parameters; with `maxNorm` > 0 the slot is also
   * scaled in place to norm at most `maxNorm` (privacy/clip.ts says how).
   */
  clipGradient(gradSlot: FloatArray, maxNorm: number): number;
  /** Logits of image `index` into `logits` (length classes). */
  sampleLogits(params: FloatArray, images: ImageSource, index: number, logits: FloatArray): void;
}
