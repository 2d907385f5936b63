/**
 * The project's own generator: xoshiro128** (Blackman & Vigna). 32-bit words
 * keep every step in Math.imul and int32 ops, so it is fast in V8 without
 * BigInt, and identical on every platform (no libm calls except in normal()).
 */

const GOLDEN_GAMMA = 0x9e3779b9; // 2^32 / φ, splitmix32's Weyl increment.

/**
 * splitmix32's output function (MurmurHash3's fmix32 finaliser): a bijection
 * on 32-bit words with full avalanche. Used both to expand seeds and to hash
 * (seed, purpose, epoch) into independent stream states.
 */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Output k (counting from 1) of the splitmix32 sequence started at `seed`. */
export function splitmix32(seed: number, k: number): number {
  return mix32((seed + Math.imul(k, GOLDEN_GAMMA)) | 0);
}

export class Xoshiro128StarStar {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private hasNormal = false;
  private cachedNormal = 0;

  /** State words directly; an all-zero state is the one fixed point, so it is refused. */
  constructor(s0: number, s1: number, s2: number, s3: number) {
    this.s0 = s0 | 0;
    this.s1 = s1 | 0;
    this.s2 = s2 | 0;
    this.s3 = s3 | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) {
      throw new RangeError('xoshiro128** state must not be all zero');
    }
  }

  /**
   * Expand one 32-bit seed with four splitmix32 outputs, as the xoshiro
   * authors recommend. mix32 is a bijection applied to four distinct
   * counters, so at most one word can be zero and the state is always valid.
   */
  static fromSeed(seed: number): Xoshiro128StarStar {
    return new Xoshiro128StarStar(
      splitmix32(seed, 1),
      splitmix32(seed, 2),
      splitmix32(seed, 3),
      splitmix32(seed, 4),
    );
  }

  /** The four state words, for a kernel that continues the stream elsewhere (as int32). */
  stateWords(): [number, number, number, number] {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  nextUint32(): number {
    const s1 = this.s1;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r >>> 0;
  }

  /** Uniform double in [0, 1) with all 53 mantissa bits random (two draws). */
  nextDouble(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /**
   * Unbiased integer in [0, bound) for 1 <= bound <= 2^32, by Lemire's
   * multiply-and-reject: the high word of draw·bound, redrawing only when the
   * low word lands in the 2^32 mod bound short zone (almost never).
   */
  nextBelow(bound: number): number {
    if (!Number.isInteger(bound) || bound < 1 || bound > 4294967296) {
      throw new RangeError(`bound must be an integer in [1, 2^32], got ${bound}`);
    }
    if (bound === 4294967296) return this.nextUint32();
    let x = this.nextUint32();
    let lo = Math.imul(x, bound) >>> 0;
    if (lo < bound) {
      // (2^32 - bound) mod bound, the number of low words that must be rejected.
      const threshold = (4294967296 - bound) % bound;
      while (lo < threshold) {
        x = this.nextUint32();
        lo = Math.imul(x, bound) >>> 0;
      }
    }
    return mulHigh32(x, bound);
  }

  /** Standard normal by the Marsaglia polar method, caching the pair's second value. */
  normal(): number {
    if (this.hasNormal) {
      this.hasNormal = false;
      return this.cachedNormal;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2 * this.nextDouble() - 1;
      x2 = 2 * this.nextDouble() - 1;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1 || r2 === 0);
    const f = Math.sqrt((-2 * Math.log(r2)) / r2);
    this.cachedNormal = f * x1;
    this.hasNormal = true;
    return f * x2;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * floor(a·b / 2^32) for 32-bit a, b. The full product needs 64 bits, more
 * than a double holds, so a is split into 16-bit halves whose partial
 * products (< 2^48) are exact.
 */
function mulHigh32(a: number, b: number): number {
  const hi = (a >>> 16) * b;
  const lo = (a & 0xffff) * b;
  return Math.floor(hi / 65536) + Math.floor(((hi % 65536) * 65536 + lo) / 4294967296);
}
