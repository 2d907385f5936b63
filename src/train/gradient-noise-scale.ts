/**
 * The gradient noise scale of McCandlish et al., "An Empirical Model of Large-Batch Training"
 * (2018): B_simple = tr(Sigma) / |G|^2, where G is the true gradient and Sigma the covariance of
 * one sample's gradient. Batches well below B_simple are dominated by noise, so doubling them
 * nearly halves the steps to a given loss; well above it they mostly repeat each other.
 *
 * Each batch b of B_b >= 2 samples, with per-sample gradients g_i, their sum s_b and
 * S_b = sum_i |g_i|^2, gives two sums whose expectations are multiples of them (their appendix
 * A.1, with batch sizes 1 and B):
 *   E[|s_b|^2 - S_b]       = B_b (B_b - 1) |G|^2
 *   E[S_b - |s_b|^2 / B_b] = (B_b - 1) tr(Sigma)
 * The epoch's estimates pool the batches, sum over sum: each batch counts by how many pairs (or
 * degrees of freedom) it has, so an epoch's short last batch, whose |G|^2 term is far noisier than
 * a full one's, does not count as much as a full one, and the pooled ratios stay unbiased. Only
 * then is B_simple taken, since a ratio of noisy estimates would be biased; an estimate of |G|^2
 * that is not above 0 (the gradient lost in the noise of such small batches) gives none.
 */
export interface GradientNoiseScale {
  /** B_simple, in samples; NaN when the epoch had no batch of two or more, or |G|^2's estimate is not above 0. */
  readonly simple: number;
  readonly gradientSquared: number;
  readonly trace: number;
  /** Batches the estimates pool. */
  readonly batches: number;
}

/** An epoch's running sums so far, which a checkpoint keeps so that a resumed epoch's estimate is whole. */
export interface NoiseScaleSums {
  /** Sum of |s_b|^2 - S_b, and of B_b (B_b - 1), its expectation's multiple of |G|^2. */
  readonly gradientSquaredSum: number;
  readonly gradientSquaredWeight: number;
  /** Sum of S_b - |s_b|^2 / B_b, and of B_b - 1, its expectation's multiple of tr(Sigma). */
  readonly traceSum: number;
  readonly traceWeight: number;
  readonly batches: number;
}

const NO_SUMS: NoiseScaleSums = { gradientSquaredSum: 0, gradientSquaredWeight: 0, traceSum: 0, traceWeight: 0, batches: 0 };

export class NoiseScaleEstimate {
  private s: NoiseScaleSums = NO_SUMS;

  get sums(): NoiseScaleSums {
    return this.s;
  }

  restore(sums: NoiseScaleSums): void {
    this.s = sums;
  }

  /**
   * One batch: `count` samples, the sum of their squared gradient norms, and the squared norm
   * of their mean gradient.
   */
  addBatch(count: number, squaredNormSum: number, meanSquaredNorm: number): void {
    if (count < 2) return;
    const s = this.s;
    this.s = {
      gradientSquaredSum: s.gradientSquaredSum + (count * count * meanSquaredNorm - squaredNormSum),
      gradientSquaredWeight: s.gradientSquaredWeight + count * (count - 1),
      traceSum: s.traceSum + (squaredNormSum - count * meanSquaredNorm),
      traceWeight: s.traceWeight + (count - 1),
      batches: s.batches + 1,
    };
  }

  /** The epoch's estimate; starts the next epoch. */
  take(): GradientNoiseScale {
    const s = this.s;
    this.s = NO_SUMS;
    const gradientSquared = s.batches > 0 ? s.gradientSquaredSum / s.gradientSquaredWeight : NaN;
    const trace = s.batches > 0 ? s.traceSum / s.traceWeight : NaN;
    return { simple: gradientSquared > 0 ? trace / gradientSquared : NaN, gradientSquared, trace, batches: s.batches };
  }
}

export function squaredNorm(values: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < values.length; j++) s += values[j] * values[j];
  return s;
}

/** The one sentence that says what B_simple means for the batch size and the thread count. */
export function explainNoiseScale(simple: number, batchSize: number): string {
  if (!Number.isFinite(simple)) return 'gradient noise scale B_simple: n/a (no estimate: it needs batches of two samples or more, and a gradient that stands out of their noise)';
  const b = Math.round(simple);
  const verdict =
    batchSize < simple
      ? `batches larger than ${batchSize} would still cut the steps to a given loss almost in proportion, so more samples per step, and more threads to compute them, pay`
      : `batches beyond it mostly repeat each other, so more samples per step, and more threads to share them, add little`;
  return `gradient noise scale B_simple ~ ${b} samples: ${verdict}.`;
}
