/**
 * MT19937 with numpy's legacy seeding, so `--rng numpy` can replay the exact
 * streams of the reference Python trainer (np.random.seed + randn/permutation).
 */

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

export class MT19937 {
  private readonly key = new Uint32Array(N);
  // pos === N means "regenerate before the next draw", which is how numpy
  // leaves a freshly seeded state: the first draw twists the whole table.
  private pos = N;

  constructor(seed = 5489) {
    this.seed(seed);
  }

  /**
   * numpy's mt19937_seed (Knuth's init_genrand). Only the integer form is
   * supported: numpy routes arrays and out-of-range ints through init_by_array
   * or an error, and the trainer never needs either.
   */
  seed(s: number): void {
    if (!Number.isInteger(s) || s < 0 || s > 0xffffffff) {
      throw new RangeError(`MT19937 seed must be an integer in [0, 2^32-1], got ${s}`);
    }
    const key = this.key;
    let x = s >>> 0;
    for (let i = 0; i < N; i++) {
      key[i] = x;
      // Math.imul keeps the 32-bit wraparound the C code gets from uint32_t;
      // a plain * would lose low bits past 2^53.
      x = (Math.imul(1812433253, (x ^ (x >>> 30)) >>> 0) + i + 1) >>> 0;
    }
    this.pos = N;
  }

  private twist(): void {
    const key = this.key;
    let kk = 0;
    let y: number;
    for (; kk < N - M; kk++) {
      y = (key[kk] & UPPER_MASK) | (key[kk + 1] & LOWER_MASK);
      key[kk] = key[kk + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; kk < N - 1; kk++) {
      y = (key[kk] & UPPER_MASK) | (key[kk + 1] & LOWER_MASK);
      key[kk] = key[kk + (M - N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    y = (key[N - 1] & UPPER_MASK) | (key[0] & LOWER_MASK);
    key[N - 1] = key[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.pos = 0;
  }

  nextUint32(): number {
    if (this.pos === N) this.twist();
    let y = this.key[this.pos++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** 53-bit double in [0, 1) built from two draws exactly as numpy's random_sample does. */
  nextDouble(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }
}
