/**
 * The parts of numpy's legacy np.random.RandomState the reference trainer
 * uses (seed, randn, permutation), so `--rng numpy` reproduces its runs.
 */

import { exactLog } from './exact-log.js';
import { MT19937 } from './mt19937.js';

export class NumpyRandomState {
  private readonly mt: MT19937;
  // legacy_gauss makes two normals per accepted pair and hands out the second
  // on the next call; the cache is part of the observable state.
  private hasGauss = false;
  private cachedGauss = 0;

  constructor(seed: number) {
    this.mt = new MT19937(seed);
  }

  /** np.random.seed(s): reseeds MT19937 and, like numpy, drops any cached gaussian. */
  seed(s: number): void {
    this.mt.seed(s);
    this.hasGauss = false;
    this.cachedGauss = 0;
  }

  nextUint32(): number {
    return this.mt.nextUint32();
  }

  /** np.random.random_sample(): one 53-bit double from two 32-bit draws. */
  randomSample(): number {
    return this.mt.nextDouble();
  }

  /**
   * One np.random.randn() value: numpy's legacy_gauss, the Marsaglia polar
   * method. Expressions keep C's evaluation order so every rounding matches;
   * log is exactLog rather than Math.log (see exact-log.ts for the measured
   * ulp differences against glibc, ~0.04 % of pairs at <= 2.3e-16 relative).
   */
  gauss(): number {
    if (this.hasGauss) {
      this.hasGauss = false;
      const g = this.cachedGauss;
      this.cachedGauss = 0;
      return g;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2.0 * this.mt.nextDouble() - 1.0;
      x2 = 2.0 * this.mt.nextDouble() - 1.0;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 === 0.0);
    const f = Math.sqrt((-2.0 * exactLog(r2)) / r2);
    this.cachedGauss = f * x1;
    this.hasGauss = true;
    return f * x2;
  }

  /**
   * numpy's random_interval: uniform in [0, max] by masking to the smallest
   * covering power of two and rejecting overshoots. Only the 32-bit branch is
   * implemented because Int32Array permutations never need max >= 2^32.
   */
  randomInterval(max: number): number {
    if (max === 0) return 0;
    const mask = 0xffffffff >>> Math.clz32(max);
    let v: number;
    do {
      v = (this.mt.nextUint32() & mask) >>> 0;
    } while (v > max);
    return v;
  }

  /**
   * np.random.permutation(n) for an integer n: legacy shuffle of arange(n),
   * swapping i with random_interval(i) for i = n-1 down to 1.
   */
  permutation(n: number): Int32Array {
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
      throw new RangeError(`permutation length must be an integer in [0, 2^31-1], got ${n}`);
    }
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.randomInterval(i);
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }
}
