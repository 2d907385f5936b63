import type { FloatArray } from './float-array.js';

/**
 * Cross-entropy of softmax(logits) against `label`, natural log, computed through log-sum-exp
 * so that large logits cannot overflow (the seed's exp(x)/sum(exp(x)) does).
 * Writes dloss/dlogits = softmax(logits) - onehot(label) into dlogits when it is given.
 *
 * With m the largest logit, log(sum exp(x - m)) = log1p(sum over the others), which keeps the
 * small loss of a confidently classified sample accurate instead of rounding log(1 + tiny).
 */
export function softmaxCrossEntropy(dlogits: FloatArray | null, logits: FloatArray, label: number, classes: number): number {
  const { max, logNormaliser } = normaliser(logits, classes);
  if (dlogits !== null) {
    // p_label - 1 cancels when the sample is classified confidently; minus the sum of the other
    // probabilities is the same quantity without the cancellation.
    let others = 0;
    for (let k = 0; k < classes; k++) {
      if (k === label) continue;
      const p = Math.exp(logits[k] - max - logNormaliser);
      dlogits[k] = p;
      others += p;
    }
    dlogits[label] = -others;
  }
  return max - logits[label] + logNormaliser;
}

/** softmax(logits) in float64, through the same normaliser as the loss. */
export function softmax(logits: FloatArray, classes: number): number[] {
  const { max, logNormaliser } = normaliser(logits, classes);
  return Array.from({ length: classes }, (_, k) => Math.exp(logits[k] - max - logNormaliser));
}

/** log-sum-exp(logits) = max + logNormaliser, with logNormaliser = log1p(sum of the others' exp(x - max)). */
function normaliser(logits: FloatArray, classes: number): { max: number; logNormaliser: number } {
  const top = argmax(logits, classes);
  const max = logits[top];
  let rest = 0;
  for (let k = 0; k < classes; k++) if (k !== top) rest += Math.exp(logits[k] - max);
  return { max, logNormaliser: Math.log1p(rest) };
}

/** Index of the largest logit; the first one wins a tie, like numpy's argmax. */
export function argmax(values: FloatArray, n: number): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (values[k] > values[best]) best = k;
  return best;
}
