import { deriveDims, type ModelConfig } from '../model/config.js';
import { allocFloat, type Dtype, type FloatArray } from '../model/float-array.js';
import { Network } from '../model/network.js';
import { argmax, softmax } from '../model/softmax-cross-entropy.js';

export interface Prediction {
  readonly predicted: number;
  /** softmax of the logits, in float64 whatever the computing precision. */
  readonly probabilities: number[];
}

/**
 * The class probabilities of each image (channels*height*width values in [0, 1], (C,H,W)). Runs
 * on this thread with the reference kernels: predict handles a few images, and starting a pool
 * would cost more than classifying them.
 */
export function predictImages(config: ModelConfig, dtype: Dtype, params: FloatArray, images: readonly Float64Array[]): Prediction[] {
  const dims = deriveDims(config);
  const network = new Network(dims, dtype);
  const logits = allocFloat(dtype, dims.classes);
  return images.map((pixels) => {
    network.sampleLogits(params, { pixels, divisor: 1 }, 0, logits);
    return { predicted: argmax(logits, dims.classes), probabilities: softmax(logits, dims.classes) };
  });
}
