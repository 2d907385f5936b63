/**
 * The only randomness the trainer consumes: parameter-init normals and one
 * shuffle per epoch. Keeping both behind one interface lets `--rng numpy`
 * replay the reference Python trainer while `--rng shardtrain` uses streams
 * that do not depend on the order in which they are asked for.
 */

import { type NameSetting, SettingError } from '../util/errors.js';
import { NumpyRandomState } from './numpy-legacy.js';
import { mix32, splitmix32, Xoshiro128StarStar } from './xoshiro128.js';

export type RngKind = 'shardtrain' | 'numpy';

export interface RandomStreams {
  readonly kind: RngKind;
  readonly seed: number;
  /** Standard-normal draws for parameter initialisation, consumed in order: kern, kern2, w (C order). */
  initNormal(): number;
  /** The training order for epoch e (counting from 0) over the first n training samples. Depends only on (seed, e, n), so a resumed run reproduces it. */
  epochPermutation(epoch: number, n: number): Int32Array;
}

const MAX_UINT32 = 0xffffffff;
// The reference trainer reseeds numpy with 1000*seed + epoch before each shuffle.
const NUMPY_EPOCH_STRIDE = 1000;

/** A seed, stream kind or epoch count the streams cannot serve; `setting` is 'seed', 'rng' or 'epochs'. */
export class SeedError extends SettingError {
  constructor(setting: 'seed' | 'rng' | 'epochs', sentence: (name: NameSetting) => string) {
    super(setting, sentence);
    this.name = 'SeedError';
  }
}

/** Throws a SeedError when the seed is not usable for that kind for `epochs` epochs. */
export function validateSeed(kind: RngKind, seed: number, epochs: number): void {
  if (kind !== 'shardtrain' && kind !== 'numpy') {
    throw new SeedError('rng', (name) => `${name('rng')} must be 'shardtrain' or 'numpy', got '${String(kind)}'`);
  }
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > MAX_UINT32) {
    throw new SeedError('seed', (name) => `${name('seed')} must be an integer from 0 to ${MAX_UINT32}, got ${String(seed)}`);
  }
  if (!Number.isInteger(epochs) || epochs < 0) {
    throw new SeedError('epochs', (name) => `${name('epochs')} must be a non-negative integer, got ${String(epochs)}`);
  }
  if (kind === 'numpy' && epochs > 0) {
    const lastEpoch = epochs - 1;
    if (NUMPY_EPOCH_STRIDE * seed + lastEpoch > MAX_UINT32) {
      const maxSeed = Math.floor((MAX_UINT32 - lastEpoch) / NUMPY_EPOCH_STRIDE);
      const reseeds = `each epoch reseeds numpy with 1000*seed + epoch, which must be <= ${MAX_UINT32}`;
      throw new SeedError('seed', (name) =>
        maxSeed < 0
          ? `${name('rng')} numpy cannot run ${epochs} epochs with any ${name('seed')}: ${reseeds}`
          : `${name('seed')} ${seed} is too large for ${name('rng')} numpy with ${epochs} epochs: ${reseeds}, so use ${name('seed')} <= ${maxSeed}`,
      );
    }
  }
}

export function createRandomStreams(kind: RngKind, seed: number): RandomStreams {
  // Epoch-specific limits are checked per call, since the epoch count is not known here.
  validateSeed(kind, seed, 0);
  return kind === 'numpy' ? new NumpyStreams(seed) : new ShardtrainStreams(seed);
}

function checkEpoch(epoch: number, what = 'epoch'): void {
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > MAX_UINT32) {
    throw new RangeError(`${what} must be an integer in [0, 2^32-1], got ${epoch}`);
  }
}

class NumpyStreams implements RandomStreams {
  readonly kind = 'numpy' as const;
  // Separate generators for init and shuffles give the same values as the
  // reference's single global one, because it reseeds before every shuffle
  // and all init draws come before the first shuffle.
  private readonly init: NumpyRandomState;
  private readonly shuffle: NumpyRandomState;

  constructor(readonly seed: number) {
    this.init = new NumpyRandomState(seed);
    this.shuffle = new NumpyRandomState(0);
  }

  initNormal(): number {
    return this.init.gauss();
  }

  epochPermutation(epoch: number, n: number): Int32Array {
    checkEpoch(epoch);
    validateSeed('numpy', this.seed, epoch + 1);
    this.shuffle.seed(NUMPY_EPOCH_STRIDE * this.seed + epoch);
    return this.shuffle.permutation(n);
  }
}

// Purpose tags keep the init stream and the shuffle streams disjoint even
// for the same (seed, epoch).
const PURPOSE_INIT = 1;
const PURPOSE_SHUFFLE = 2;
const PURPOSE_SAMPLING = 3;
const PURPOSE_NOISE = 4;
// Arbitrary odd salts so that small tags and epochs are spread over all 32
// bits before they are combined with the seed.
const PURPOSE_SALT = 0x632be5ab;
const EPOCH_SALT = 0x7f4a7c15;

/**
 * A fresh xoshiro128** stream for (seed, purpose, epoch). Each state word is
 * splitmix32 output i of the seed, then mixed with the purpose and the epoch;
 * mix32 is a bijection, so for fixed (purpose, epoch) the four words are
 * distinct (never all zero) and distinct epochs give distinct words.
 */
function deriveStream(seed: number, purpose: number, epoch: number): Xoshiro128StarStar {
  const p = mix32((purpose + PURPOSE_SALT) | 0);
  const e = mix32((epoch ^ EPOCH_SALT) | 0);
  const w = [1, 2, 3, 4].map((i) => mix32(mix32(splitmix32(seed, i) ^ p) ^ e));
  return new Xoshiro128StarStar(w[0], w[1], w[2], w[3]);
}

/**
 * The stream of private training's step `step` (counting from 1) for `purpose`: which samples the
 * step takes, or the noise it adds. A function of (seed, purpose, step) only, whatever the stream
 * kind, so a resumed run and any thread count draw the same.
 */
export function stepStream(seed: number, purpose: 'sampling' | 'noise', step: number, chunk = 0): Xoshiro128StarStar {
  checkEpoch(step, 'step');
  if (!Number.isInteger(chunk) || chunk < 0 || chunk > 0x0fffffff) throw new RangeError(`chunk must be an integer in [0, 2^28), got ${chunk}`);
  // Each chunk of a step's noise has a purpose of its own (distinct from 1..4 for chunks >= 0).
  return deriveStream(seed, purpose === 'sampling' ? PURPOSE_SAMPLING : PURPOSE_NOISE + 8 * chunk, step);
}

class ShardtrainStreams implements RandomStreams {
  readonly kind = 'shardtrain' as const;
  private readonly init: Xoshiro128StarStar;

  constructor(readonly seed: number) {
    this.init = deriveStream(seed, PURPOSE_INIT, 0);
  }

  initNormal(): number {
    return this.init.normal();
  }

  epochPermutation(epoch: number, n: number): Int32Array {
    checkEpoch(epoch);
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
      throw new RangeError(`permutation length must be an integer in [0, 2^31-1], got ${n}`);
    }
    const rng = deriveStream(this.seed, PURPOSE_SHUFFLE, epoch);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    // Fisher–Yates from the top: position i takes a uniform pick of 0..i.
    for (let i = n - 1; i > 0; i--) {
      const j = rng.nextBelow(i + 1);
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }
}
