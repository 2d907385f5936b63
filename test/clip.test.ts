import { beforeAll, describe, expect, it } from 'vitest';
import { createBackend, type Backend } from '../src/kernels/index.js';
import { buildModel, modelShape } from '../src/model/model.js';
import { parseDescription } from '../src/model/stack/index.js';
import { CLIP_MARGIN, clipGradient } from '../src/privacy/clip.js';
import { lcg } from './helpers/random-model.js';

function norm(values: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < values.length; j++) s += values[j] * values[j];
  return Math.sqrt(s);
}

function randomGradient(n: number, seed: number, scale: number): number[] {
  const rand = lcg(seed);
  return Array.from({ length: n }, () => (rand() < 0.2 ? 0 : (rand() * 2 - 1) * scale));
}

describe('per-sample clipping: the reference', () => {
  it('returns the norm; a gradient above the clip norm lands just below it, in the same direction', () => {
    const g = Float64Array.from(randomGradient(1001, 1, 3));
    const before = Float64Array.from(g);
    const measured = clipGradient(g, 0.1);
    expect(measured).toBeCloseTo(norm(before), 12);
    const after = norm(g);
    expect(after).toBeLessThanOrEqual(0.1);
    expect(after).toBeCloseTo(0.1 * (1 - CLIP_MARGIN), 12);
    const ratio = g[3] / before[3];
    for (let j = 0; j < g.length; j++) if (before[j] !== 0) expect(g[j] / before[j]).toBeCloseTo(ratio, 12);
  });

  it('leaves a gradient within the clip norm unchanged, and measures only with clip norm 0', () => {
    const small = Float32Array.from(randomGradient(50, 2, 1e-3));
    const copy = Float32Array.from(small);
    clipGradient(small, 1);
    expect(small).toEqual(copy);
    const big = Float32Array.from(randomGradient(50, 3, 10));
    const kept = Float32Array.from(big);
    expect(clipGradient(big, 0)).toBeCloseTo(norm(kept), 5);
    expect(big).toEqual(kept);
  });

  it('float32: the stored, rounded values never exceed the clip norm (1000 random gradients)', () => {
    for (let seed = 0; seed < 1000; seed++) {
      const g = Float32Array.from(randomGradient(97, seed, 1 + (seed % 7)));
      const clip = 0.05 + (seed % 13) * 0.1;
      clipGradient(g, clip);
      expect(norm(g)).toBeLessThanOrEqual(clip);
    }
  });
});

describe('per-sample clipping: each backend agrees with the reference', () => {
  const model = buildModel({ kind: 'stack', layers: parseDescription('opacus-mnist') }, { input: [1, 28, 28], classes: 10 });
  const n = modelShape(model).total;
  let backends: Backend[];
  beforeAll(async () => {
    backends = [await createBackend('wasm', 'float32'), await createBackend('typescript', 'float32')];
  });

  it(`opacus-mnist's ${n} parameters: norm to 1e-6 relative, clipped values to 1e-6, norm after at most C`, () => {
    for (const backend of backends) {
      const kernels = backend.sampleKernels(model);
      for (const [seed, clip] of [[4, 0.1], [5, 1e6], [6, 0]] as const) {
        const slot = backend.allocShared(n) as Float32Array;
        slot.set(randomGradient(n, seed, 0.01));
        const reference = Float32Array.from(slot);
        const expected = clipGradient(reference, clip);
        const measured = kernels.clipGradient(slot, clip);
        expect(Math.abs(measured - expected) / expected, `${backend.name} clip ${clip}`).toBeLessThan(1e-6);
        for (let j = 0; j < n; j += 97) expect(slot[j]).toBeCloseTo(reference[j], 6);
        if (clip > 0) expect(norm(slot)).toBeLessThanOrEqual(clip);
      }
    }
  });
});
