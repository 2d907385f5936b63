import type { FloatArray } from './float-array.js';

/**
 * Cross-entropy of softmax(logits) against `label`, natural log, computed through log-sum-exp
 * so that large logits cannot overflow (the seed's exp(x)/sum(exp(x)) does).
 * Writes dloss/dlogits = softmax(logits) - onehot(label) into dlogits when it is given.
 */
export function softmaxCrossEntropy(dlogits: FloatArray | null, logits: FloatArray, label: number, classes: number): number {
  let max = -Infinity;
  for (let k = 0; k < classes; k++) if (logits[k] > max) max = logits[k];
  let sum = 0;
  for (let k = 0; k < classes; k++) sum += Math.exp(logits[k] - max);
  const logSumExp = max + Math.log(sum);
  if (dlogits !== null) {
    for (let k = 0; k < classes; k++) dlogits[k] = Math.exp(logits[k] - logSumExp) - (k === label ? 1 : 0);
  }
  return logSumExp - logits[label];
}

/** Index of the largest logit; the first one wins a tie, like numpy's argmax. */
export function argmax(values: FloatArray, n: number): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (values[k] > values[best]) best = k;
  return best;
}
