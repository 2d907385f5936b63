import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRandomStreams, SeedError, validateSeed, type RngKind } from '../src/rng/streams.js';
import { mix32, Xoshiro128StarStar } from '../src/rng/xoshiro128.js';
import { UserError } from '../src/util/errors.js';

const KINDS: RngKind[] = ['shardtrain', 'numpy'];

interface Fixture {
  seeds: { seed: number; randn: number[]; permutation: { n: number; full?: number[] }[] }[];
}
const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/numpy-rng.json', import.meta.url), 'utf8'),
) as Fixture;

function isPermutation(p: Int32Array, n: number): boolean {
  if (p.length !== n) return false;
  const seen = new Uint8Array(n);
  for (const v of p) {
    if (v < 0 || v >= n || seen[v]) return false;
    seen[v] = 1;
  }
  return true;
}

function draws(kind: RngKind, seed: number, count: number): number[] {
  const s = createRandomStreams(kind, seed);
  return Array.from({ length: count }, () => s.initNormal());
}

describe.each(KINDS)('%s streams', (kind) => {
  it('are deterministic for a seed and differ between seeds', () => {
    expect(draws(kind, 5, 200)).toEqual(draws(kind, 5, 200));
    expect(draws(kind, 5, 200)).not.toEqual(draws(kind, 6, 200));
    const a = createRandomStreams(kind, 5).epochPermutation(3, 1000);
    const b = createRandomStreams(kind, 5).epochPermutation(3, 1000);
    expect(a).toEqual(b);
    expect(createRandomStreams(kind, 6).epochPermutation(3, 1000)).not.toEqual(a);
  });

  it('epochPermutation is a permutation of 0..n-1', () => {
    const s = createRandomStreams(kind, 11);
    for (const n of [0, 1, 2, 3, 17, 1000, 60000]) {
      expect(isPermutation(s.epochPermutation(0, n), n)).toBe(true);
    }
  });

  it('different epochs give different orders', () => {
    const s = createRandomStreams(kind, 11);
    const perms = [0, 1, 2, 3].map((e) => Array.from(s.epochPermutation(e, 500)));
    for (let i = 0; i < perms.length; i++) {
      for (let j = i + 1; j < perms.length; j++) expect(perms[i]).not.toEqual(perms[j]);
    }
  });

  it('epochPermutation depends only on (seed, epoch, n), not on what was drawn before', () => {
    const fresh = createRandomStreams(kind, 9).epochPermutation(4, 3000);
    const used = createRandomStreams(kind, 9);
    for (let i = 0; i < 777; i++) used.initNormal();
    used.epochPermutation(1, 50);
    used.epochPermutation(4, 10);
    expect(used.epochPermutation(4, 3000)).toEqual(fresh);
  });

  it('init draws do not depend on interleaved shuffles', () => {
    const plain = draws(kind, 13, 300);
    const s = createRandomStreams(kind, 13);
    const mixed: number[] = [];
    for (let i = 0; i < 300; i++) {
      if (i % 37 === 0) s.epochPermutation(i, 100);
      mixed.push(s.initNormal());
    }
    expect(mixed).toEqual(plain);
  });

  it('init draws look standard normal', () => {
    const xs = draws(kind, 21, 20000);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.04);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });
});

describe('numpy streams follow the reference trainer', () => {
  it('initNormal is np.random.seed(seed) then randn', () => {
    for (const f of fixture.seeds.filter((s) => s.seed === 0 || s.seed === 42)) {
      const got = draws('numpy', f.seed, 500);
      got.forEach((g, i) => expect(Math.abs(g - f.randn[i])).toBeLessThanOrEqual(1e-15 * Math.abs(f.randn[i])));
    }
  });

  it('epochPermutation(e, n) is np.random.seed(1000*seed + e); np.random.permutation(n)', () => {
    const f = fixture.seeds.find((s) => s.seed === 3002)!;
    for (const p of f.permutation.filter((q) => q.full)) {
      expect(Array.from(createRandomStreams('numpy', 3).epochPermutation(2, p.n))).toEqual(p.full);
    }
    const f42 = fixture.seeds.find((s) => s.seed === 42)!;
    const p10 = f42.permutation.find((q) => q.n === 10)!;
    expect(Array.from(createRandomStreams('numpy', 0).epochPermutation(42, 10))).toEqual(p10.full);
  });

  it('an epoch whose reseed would overflow 32 bits throws a UserError', () => {
    const s = createRandomStreams('numpy', 4294967);
    expect(isPermutation(s.epochPermutation(295, 10), 10)).toBe(true);
    expect(() => s.epochPermutation(296, 10)).toThrow(UserError);
  });
});

describe('shardtrain streams', () => {
  it('accept the full 32-bit seed range', () => {
    for (const seed of [0, 1, 2 ** 31, 4294967295]) {
      expect(isPermutation(createRandomStreams('shardtrain', seed).epochPermutation(7, 100), 100)).toBe(true);
    }
    expect(draws('shardtrain', 0, 10)).not.toEqual(draws('shardtrain', 4294967295, 10));
  });

  it('first positions of a shuffle are uniform (no modulo bias)', () => {
    // 3 does not divide 2^32, so a biased bounded draw would show here.
    const counts = [0, 0, 0];
    const s = createRandomStreams('shardtrain', 99);
    for (let e = 0; e < 30000; e++) counts[s.epochPermutation(e, 3)[0]]++;
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(500);
  });
});

describe('xoshiro128**', () => {
  it('matches the reference output for state {1, 2, 3, 4}', () => {
    const g = new Xoshiro128StarStar(1, 2, 3, 4);
    expect([g.nextUint32(), g.nextUint32(), g.nextUint32()]).toEqual([11520, 0, 5927040]);
  });

  it('refuses the all-zero state', () => {
    expect(() => new Xoshiro128StarStar(0, 0, 0, 0)).toThrow(RangeError);
  });

  it('nextBelow takes the exact high word of the 64-bit product', () => {
    const bounds = [1, 2, 3, 7, 1000, 60000, 2 ** 31 - 1, 2 ** 31, 4294967295];
    const a = Xoshiro128StarStar.fromSeed(123);
    const b = Xoshiro128StarStar.fromSeed(123);
    for (let i = 0; i < 5000; i++) {
      const bound = bounds[i % bounds.length];
      const got = a.nextBelow(bound);
      // Lemire's result is floor(x*bound / 2^32) for the first accepted x; BigInt does it exactly.
      let x = b.nextUint32();
      const threshold = (2 ** 32 - bound) % bound;
      while (Number((BigInt(x) * BigInt(bound)) & 0xffffffffn) < threshold) x = b.nextUint32();
      expect(got).toBe(Number((BigInt(x) * BigInt(bound)) >> 32n));
      expect(got).toBeLessThan(bound);
    }
  });

  it('nextDouble is in [0, 1) and mix32 is the fmix32 finaliser', () => {
    const g = Xoshiro128StarStar.fromSeed(0);
    for (let i = 0; i < 1000; i++) {
      const d = g.nextDouble();
      expect(d >= 0 && d < 1).toBe(true);
    }
    // MurmurHash3 fmix32 of 1 and 0.
    expect(mix32(1)).toBe(0x514e28b7);
    expect(mix32(0)).toBe(0);
  });
});

describe('validateSeed', () => {
  it.each(KINDS)('%s: accepts in-range integers', (kind) => {
    expect(() => validateSeed(kind, 0, 10)).not.toThrow();
    expect(() => validateSeed(kind, 42, 10)).not.toThrow();
  });

  it.each(KINDS)('%s: refuses negative, non-integer and too-large seeds with a SeedError about the seed', (kind) => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 32]) {
      expect(() => validateSeed(kind, bad, 1)).toThrow(SeedError);
      expect(() => validateSeed(kind, bad, 1)).toThrow(/^seed must be an integer/);
      expect(() => createRandomStreams(kind, bad)).toThrow(UserError);
    }
  });

  it('shardtrain accepts 2^32-1 for any number of epochs', () => {
    expect(() => validateSeed('shardtrain', 4294967295, 1_000_000)).not.toThrow();
  });

  it('numpy refuses seeds where 1000*seed + (epochs-1) exceeds 2^32-1, with a one-line message', () => {
    // 1000*4294967 + 295 = 4294967295 exactly.
    expect(() => validateSeed('numpy', 4294967, 296)).not.toThrow();
    expect(() => validateSeed('numpy', 4294967, 297)).toThrow(UserError);
    expect(() => validateSeed('numpy', 4294968, 1)).toThrow(UserError);
    expect(() => validateSeed('numpy', 4294967295, 1)).toThrow(UserError);
    try {
      validateSeed('numpy', 4294967, 297);
    } catch (err) {
      expect(err).toBeInstanceOf(SeedError);
      expect((err as SeedError).setting).toBe('seed');
      const msg = (err as UserError).message;
      expect(msg).toMatch(/^seed 4294967 is too large for rng numpy/);
      expect(msg).not.toMatch(/\n/);
      expect(msg).toMatch(/<= 4294966\b/);
      expect((err as UserError).exitCode).toBe(2);
    }
    // Zero epochs need no shuffle seed, only a valid init seed.
    expect(() => validateSeed('numpy', 4294967295, 0)).not.toThrow();
  });
});
