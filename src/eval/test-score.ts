import type { ImageSet } from '../data/dataset.js';

export interface Evaluation {
  /** Mean cross-entropy over the test images (natural log). */
  readonly loss: number;
  readonly correct: number;
  readonly total: number;
}

/**
 * The mean of the test images' losses and the count of right predictions, from what the pool's
 * evaluation tasks wrote. Summed in sample order, so that `eval` scores saved weights bit for bit
 * as training reported them.
 */
export function scoreTest(losses: Float64Array, predictions: Int32Array, test: ImageSet): Evaluation {
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < test.count; i++) {
    loss += losses[i];
    if (predictions[i] === test.labels[i]) correct++;
  }
  return { loss: test.count > 0 ? loss / test.count : NaN, correct, total: test.count };
}
