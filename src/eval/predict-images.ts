import { createBackend } from '../kernels/index.js';
import { allocFloat, type Dtype, type FloatArray } from '../model/float-array.js';
import { type Model, modelClasses, modelShape } from '../model/model.js';
import { checkMemory, runMemory } from '../parallel/run-memory.js';
import { argmax, softmax } from '../model/softmax-cross-entropy.js';

export interface Prediction {
  readonly predicted: number;
  /** softmax of the logits, in float64 whatever the computing precision. */
  readonly probabilities: number[];
}

/**
 * The class probabilities of each image (the model's channels*height*width values in [0, 1],
 * (C,H,W)), for the seed network or any layer stack. Runs on this thread with the reference
 * kernels: predict handles a few images, and starting a pool would cost more than classifying them.
 */
export async function predictImages(model: Model, dtype: Dtype, params: FloatArray, images: readonly Float64Array[]): Promise<Prediction[]> {
  const backend = await createBackend('typescript', dtype);
  checkMemory(runMemory(backend, model, modelShape(model), { slots: 0, threads: 1, optimizerStates: 0, poolUpdates: false }), backend.memoryLimit, 'predict');
  const network = backend.sampleKernels(model);
  network.prepare(params);
  const classes = modelClasses(model);
  const logits = allocFloat(dtype, classes);
  return images.map((pixels) => {
    network.sampleLogits(params, { pixels, divisor: 1 }, 0, logits);
    return { predicted: argmax(logits, classes), probabilities: softmax(logits, classes) };
  });
}
