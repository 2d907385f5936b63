import { beforeAll, describe, expect, it } from 'vitest';
import { createBackend, type Backend } from '../src/kernels/index.js';
import { buildModel, modelShape } from '../src/model/model.js';
import { parseDescription } from '../src/model/stack/index.js';
import { CLIP_MARGIN, clipGradient, clipSlot } from '../src/privacy/clip.js';
import { expandSlot } from '../src/model/slot-layout.js';
import { lcg } from './helpers/random-model.js';
import { gradientOf, layoutWithDense } from './helpers/slot-gradient.js';

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

describe('per-sample clipping of a slot (a dense weight held as its factors)', () => {
  const layout = layoutWithDense(13, 6, 21, 5);

  it('the norm and the clipped values are those of the whole gradient, clipped', () => {
    const slot = Float64Array.from(randomGradient(layout.length, 8, 2));
    const whole = new Float64Array(layout.parameters);
    expandSlot(layout, slot, whole);
    const expected = clipGradient(whole, 0.5);
    expect(clipSlot(slot, layout, 0.5)).toBeCloseTo(expected, 12);
    const clipped = new Float64Array(layout.parameters);
    expandSlot(layout, slot, clipped);
    for (let j = 0; j < whole.length; j++) expect(clipped[j]).toBeCloseTo(whole[j], 12);
  });

  it('float32: the gradient the clipped slot holds, formed from its rounded factors, never exceeds the clip norm (1000 slots)', () => {
    const whole = new Float32Array(layout.parameters);
    for (let seed = 0; seed < 1000; seed++) {
      const slot = Float32Array.from(randomGradient(layout.length, seed, 1 + (seed % 7)));
      const clip = 0.05 + (seed % 13) * 0.1;
      clipSlot(slot, layout, clip);
      expandSlot(layout, slot, whole);
      expect(norm(whole)).toBeLessThanOrEqual(clip);
    }
  });
});

describe('per-sample clipping: each backend agrees with the reference', () => {
  const model = buildModel({ kind: 'stack', layers: parseDescription('opacus-mnist') }, { input: [1, 28, 28], classes: 10 });
  const { total: n, slots: layout } = modelShape(model);
  let backends: Backend[];
  beforeAll(async () => {
    backends = [await createBackend('wasm', 'float32'), await createBackend('typescript', 'float32')];
  });

  it(`opacus-mnist's ${n} parameters in slots of ${layout.length}: norm to 1e-6 relative, clipped values to 1e-6, norm after at most C`, () => {
    for (const backend of backends) {
      const kernels = backend.sampleKernels(model);
      for (const [seed, clip] of [[4, 0.1], [5, 1e6], [6, 0], [7, 0.3]] as const) {
        const slot = backend.allocShared(layout.length) as Float32Array;
        slot.set(randomGradient(layout.length, seed, 0.01));
        const reference = gradientOf(kernels, slot);
        const expected = clipGradient(reference, clip);
        const measured = kernels.clipGradient(slot, clip);
        expect(Math.abs(measured - expected) / expected, `${backend.name} clip ${clip}`).toBeLessThan(1e-6);
        const clipped = gradientOf(kernels, slot);
        for (let j = 0; j < n; j += 97) expect(clipped[j]).toBeCloseTo(reference[j], 6);
        if (clip > 0) expect(norm(clipped)).toBeLessThanOrEqual(clip);
      }
    }
  });

  it('wasm: the clipped gradient never exceeds the clip norm (300 slots of opacus-mnist, norms from 1e-3 to 1e3 times C)', async () => {
    const backend = backends[0];
    const kernels = backend.sampleKernels(model);
    const slot = backend.allocShared(layout.length) as Float32Array;
    for (let seed = 0; seed < 300; seed++) {
      slot.set(randomGradient(layout.length, 100 + seed, 10 ** ((seed % 7) - 4)));
      const clip = 0.05 + (seed % 11) * 0.2;
      kernels.clipGradient(slot, clip);
      expect(norm(gradientOf(kernels, slot))).toBeLessThanOrEqual(clip);
    }
  });

  it('wasm: values whose f32 squares underflow (1e-23) or whose f32 sums of squares overflow (1e19) are measured and clipped as the reference does', async () => {
    for (const [scale, clip] of [[1e-23, 1e-22], [1e-21, 1e-19], [1e19, 1], [1e19, 1e30]] as const) {
      for (const backend of backends) {
        const kernels = backend.sampleKernels(model);
        const slot = backend.allocShared(layout.length) as Float32Array;
        slot.set(randomGradient(layout.length, 9, scale));
        const expected = norm(gradientOf(kernels, slot));
        const measured = kernels.clipGradient(slot, clip);
        expect(Math.abs(measured - expected) / expected, `${backend.name} values ${scale}`).toBeLessThan(1e-6);
        expect(norm(gradientOf(kernels, slot)), `${backend.name} values ${scale}`).toBeLessThanOrEqual(clip);
      }
    }
  });
});
