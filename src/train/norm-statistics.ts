import { clipFactor } from '../privacy/clip.js';
import { median } from '../util/median.js';

/** Per-sample gradient norms over an epoch: what a user picks the clip norm from. */
export interface NormStatistics {
  readonly median: number;
  /** Share of the samples whose norm exceeded the clip norm (0 without clipping). */
  readonly clippedFraction: number;
}

/** Collects the norms the pool threads measured, step by step, in sample order. */
export class EpochNorms {
  private norms: number[] = [];
  private clipped = 0;

  constructor(private readonly clipNorm: number) {}

  /** The epoch's norms so far, for a checkpoint; `restore` takes them back. */
  get values(): Float64Array {
    return Float64Array.from(this.norms);
  }

  restore(values: ArrayLike<number>): void {
    this.norms = [];
    this.clipped = 0;
    this.add(values, values.length);
  }

  add(norms: ArrayLike<number>, count: number): void {
    for (let i = 0; i < count; i++) {
      this.norms.push(norms[i]);
      if (this.clipNorm > 0 && clipFactor(norms[i], this.clipNorm) < 1) this.clipped++;
    }
  }

  /** The epoch's statistics (NaN when it saw no samples); starts the next epoch. */
  take(): NormStatistics {
    const count = this.norms.length;
    const out = { median: count > 0 ? median(this.norms) : NaN, clippedFraction: count > 0 ? this.clipped / count : NaN };
    this.norms = [];
    this.clipped = 0;
    return out;
  }
}
