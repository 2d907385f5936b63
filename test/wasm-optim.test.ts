import { beforeAll, describe, expect, it } from 'vitest';
import { allocFloat32, createWasmBackend, type WasmBackend, type WasmSimd, WasmAdam, WasmSlotSum } from '../src/kernels/wasm/index.js';
import { Adam, SEED_ADAM } from '../src/optim/adam.js';
import { averageSlots, JsSlotSum } from '../src/optim/average-slots.js';
import { lcg } from './helpers/random-model.js';
import { layoutWithDense } from './helpers/slot-gradient.js';
import { SEED_MODEL, deriveDims } from '../src/model/config.js';
import { parameterLayout, seedSlotLayout } from '../src/model/parameters.js';
import { flatSlotLayout, type SlotLayout } from '../src/model/slot-layout.js';

const backends = new Map<WasmSimd, WasmBackend>();
beforeAll(async () => {
  backends.set('simd', await createWasmBackend({ simd: 'simd' }));
  const auto = await createWasmBackend();
  if (auto.simd === 'relaxed-simd-fma') backends.set(auto.simd, auto);
});

/** Bitwise equality (distinguishes -0 from +0), reporting the first differing index. */
function expectSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  const first = a.findIndex((bits, i) => bits !== e[i]);
  expect(first === -1 ? 'all equal' : `${what}[${first}]: ${actual[first]} != ${expected[first]}`).toBe('all equal');
}

function randomGradients(length: number, seed: number): Float32Array {
  const rand = lcg(seed);
  const out = new Float32Array(length);
  // Mixed magnitudes and exact zeros, as per-sample gradients after ReLUs have.
  for (let i = 0; i < length; i++) out[i] = rand() < 0.3 ? 0 : (rand() * 2 - 1) * 10 ** Math.floor(rand() * 6 - 4);
  return out;
}

/** Adds slots [0, count) as the coordinator does, in runs of uneven lengths (shorter and longer than one pass). */
function feedInRuns(sum: { add(from: number, to: number): void }, count: number): void {
  const lengths = [1, 3, 13, 2, 8, 21];
  for (let from = 0, r = 0; from < count; r++) {
    const to = Math.min(count, from + lengths[r % lengths.length]);
    sum.add(from, to);
    from = to;
  }
}

// The seed model's slots (9,586 parameters in 3,764 values: 16-float runs with tails, and its
// dense weight 10 x 648 as factors), a flat tail-only slot, and a small dense weight (35 parameters).
const seedSlots = seedSlotLayout(parameterLayout(deriveDims({ ...SEED_MODEL, imageHeight: 28, imageWidth: 28, classes: 10 })));
const shapes: [string, SlotLayout, number][] = [
  ['seed', seedSlots, 100],
  ['seed', seedSlots, 1],
  ['flat 7', flatSlotLayout(7), 3],
  ['7 + dense 4x5 + 4', layoutWithDense(7, 4, 5, 4), 17],
];

describe.each(['relaxed-simd-fma', 'simd'] as WasmSimd[])('wasm %s optimizer = optim/*.ts in float32, bitwise', (variant) => {
  for (const [name, layout, count] of shapes) {
    const [n, L] = [layout.parameters, layout.length];
    it(`WasmSlotSum ${name} (n=${n}, slots of ${L}) slots=${count}, all slots in one call`, (ctx) => {
      const backend = backends.get(variant);
      if (!backend) return ctx.skip();
      const source = randomGradients(L * count, n + count);
      const slots = allocFloat32(backend.memory, L * count);
      slots.set(source);
      const mean = allocFloat32(backend.memory, n);
      const sum = new WasmSlotSum(backend, slots, layout);
      sum.add(0, count);
      sum.finish(mean, count);
      const expected = new Float32Array(n);
      averageSlots(expected, source, layout, count, new Float64Array(n));
      expectSameBits(mean, expected, 'mean');
    });
  }
  for (const [name, layout, count] of shapes) {
    const [n, L] = [layout.parameters, layout.length];
    it(`WasmSlotSum ${name} (n=${n}, slots of ${L}) slots=${count}, fed in uneven runs after an abandoned sum`, (ctx) => {
      const backend = backends.get(variant);
      if (!backend) return ctx.skip();
      const slots = allocFloat32(backend.memory, L * count);
      slots.set(randomGradients(L * count, 7 * n + count));
      const sum = new WasmSlotSum(backend, slots, layout);
      // A retried step starts again at slot 0, which must discard what the first attempt added.
      feedInRuns(sum, Math.ceil(count / 2));
      feedInRuns(sum, count);
      const mean = allocFloat32(backend.memory, n);
      sum.finish(mean, count);
      const expected = new Float32Array(n);
      averageSlots(expected, Float32Array.from(slots), layout, count, new Float64Array(n));
      expectSameBits(mean, expected, 'mean');
    });
  }
  it('WasmSlotSum refuses an empty or out-of-range run of slots', (ctx) => {
    const backend = backends.get(variant);
    if (!backend) return ctx.skip();
    const sum = new WasmSlotSum(backend, allocFloat32(backend.memory, 7 * 3), flatSlotLayout(7));
    expect(() => sum.add(1, 1)).toThrow('no gradient slots 1..0 of 3');
    expect(() => sum.add(-1, 2)).toThrow(RangeError);
    expect(() => sum.add(2, 4)).toThrow('no gradient slots 2..3 of 3');
  });
  for (const n of [9586, 7, 35]) {
    it(`Adam n=${n}, 5 steps`, (ctx) => {
      const backend = backends.get(variant);
      if (!backend) return ctx.skip();
      const start = randomGradients(n, 1);
      const reference = new Adam(SEED_ADAM, 'float32', n);
      const refParams = Float32Array.from(start);
      const adam = new WasmAdam(backend, SEED_ADAM, n);
      const params = allocFloat32(backend.memory, n);
      params.set(start);
      const grad = allocFloat32(backend.memory, n);
      for (let step = 0; step < 5; step++) {
        grad.set(randomGradients(n, 100 + step));
        reference.update(refParams, Float32Array.from(grad));
        adam.update(params, grad);
        expect(adam.step).toBe(reference.step);
        expectSameBits(params, refParams, `params after step ${step + 1}`);
        expectSameBits(adam.m, reference.m as Float32Array, `m after step ${step + 1}`);
        expectSameBits(adam.v, reference.v as Float32Array, `v after step ${step + 1}`);
      }
    });
  }
});

describe('JsSlotSum = averageSlots, bitwise', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`${dtype}: fed in uneven runs after an abandoned sum`, () => {
      const layout = layoutWithDense(7, 4, 5, 4);
      const [n, count] = [layout.parameters, 17];
      const source = randomGradients(layout.length * count, 3);
      const slots = dtype === 'float32' ? source : Float64Array.from(source, (x, i) => x * (1 + i * 1e-9));
      const sum = new JsSlotSum(slots, layout);
      feedInRuns(sum, 5);
      feedInRuns(sum, count);
      const mean = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
      sum.finish(mean, count);
      const expected = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
      averageSlots(expected, slots, layout, count, new Float64Array(n));
      expect(Array.from(mean, (x) => Object.is(x, -0) ? '-0' : x)).toEqual(Array.from(expected, (x) => Object.is(x, -0) ? '-0' : x));
    });
  }
});
