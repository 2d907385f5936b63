/**
 * The gradient noise scale of McCandlish et al., "An Empirical Model of Large-Batch Training"
 * (2018): B_simple = tr(Sigma) / |G|^2, where G is the true gradient and Sigma the covariance of
 * one sample's gradient. Batches well below B_simple are dominated by noise, so doubling them
 * nearly halves the steps to a given loss; well above it they mostly repeat each other.
 *
 * Each batch of B >= 2 samples gives unbiased estimates of both from the per-sample gradients
 * g_i and their mean m (their appendix A.1, with batch sizes 1 and B):
 *   |G|^2    ~ (B |m|^2 - mean_i |g_i|^2) / (B - 1)
 *   tr(Sigma) ~ (mean_i |g_i|^2 - |m|^2) * B / (B - 1)
 * Each is averaged over the epoch's batches before the ratio is taken, since a ratio of noisy
 * estimates would be biased.
 */
export interface GradientNoiseScale {
  /** B_simple, in samples; NaN when the epoch had no batch of two or more. */
  readonly simple: number;
  readonly gradientSquared: number;
  readonly trace: number;
  /** Batches the estimates average over. */
  readonly batches: number;
}

/** An epoch's running sums so far, which a checkpoint keeps so that a resumed epoch's estimate is whole. */
export interface NoiseScaleSums {
  readonly gradientSquaredSum: number;
  readonly traceSum: number;
  readonly batches: number;
}

export class NoiseScaleEstimate {
  private gradientSquaredSum = 0;
  private traceSum = 0;
  private batches = 0;

  get sums(): NoiseScaleSums {
    return { gradientSquaredSum: this.gradientSquaredSum, traceSum: this.traceSum, batches: this.batches };
  }

  restore(sums: NoiseScaleSums): void {
    ({ gradientSquaredSum: this.gradientSquaredSum, traceSum: this.traceSum, batches: this.batches } = sums);
  }

  /**
   * One batch: `count` samples, the sum of their squared gradient norms, and the squared norm
   * of their mean gradient.
   */
  addBatch(count: number, squaredNormSum: number, meanSquaredNorm: number): void {
    if (count < 2) return;
    const perSample = squaredNormSum / count;
    this.gradientSquaredSum += (count * meanSquaredNorm - perSample) / (count - 1);
    this.traceSum += ((perSample - meanSquaredNorm) * count) / (count - 1);
    this.batches++;
  }

  /** The epoch's estimate; starts the next epoch. */
  take(): GradientNoiseScale {
    const { batches } = this;
    const gradientSquared = batches > 0 ? this.gradientSquaredSum / batches : NaN;
    const trace = batches > 0 ? this.traceSum / batches : NaN;
    this.gradientSquaredSum = 0;
    this.traceSum = 0;
    this.batches = 0;
    return { simple: trace / gradientSquared, gradientSquared, trace, batches };
  }
}

export function squaredNorm(values: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < values.length; j++) s += values[j] * values[j];
  return s;
}

/** The one sentence that says what B_simple means for the batch size and the thread count. */
export function explainNoiseScale(simple: number, batchSize: number): string {
  if (!Number.isFinite(simple)) return 'gradient noise scale B_simple: n/a (no estimate: it needs batches of two samples or more, and a gradient that is not zero)';
  const b = Math.round(simple);
  const verdict =
    batchSize < simple
      ? `batches larger than ${batchSize} would still cut the steps to a given loss almost in proportion, so more samples per step, and more threads to compute them, pay`
      : `batches beyond it mostly repeat each other, so more samples per step, and more threads to share them, add little`;
  return `gradient noise scale B_simple ~ ${b} samples: ${verdict}.`;
}
