import { beforeAll, describe, expect, it } from 'vitest';
import { allocFloat32, createWasmBackend, type WasmBackend, WasmSlotSum } from '../src/kernels/wasm/index.js';
import { averageSlots, JsSlotSum, type SlotSum } from '../src/optim/average-slots.js';
import { lcg } from './helpers/random-model.js';
import { expandSlot, flatSlotLayout, type SlotLayout } from '../src/model/slot-layout.js';
import { layoutWithDense } from './helpers/slot-gradient.js';

// Batches larger than the gradient slots go through them in rounds (Poisson draws above the cap),
// and private training adds noise and divides by a public constant: both sums must be exactly the
// one-round sum, in sample order.

let wasm: WasmBackend;
beforeAll(async () => {
  wasm = await createWasmBackend();
});

function randomValues(length: number, seed: number): Float32Array {
  const rand = lcg(seed);
  return Float32Array.from({ length }, () => (rand() < 0.3 ? 0 : (rand() * 2 - 1) * 10 ** Math.floor(rand() * 6 - 4)));
}

interface Sums {
  slots: Float32Array;
  mean: Float32Array;
  sum: SlotSum;
}

function makeSums(kind: 'js' | 'wasm', layout: SlotLayout, slotCount: number): Sums {
  const n = layout.parameters;
  if (kind === 'js') {
    const slots = new Float32Array(layout.length * slotCount);
    return { slots, mean: new Float32Array(n), sum: new JsSlotSum(slots, layout) };
  }
  const slots = allocFloat32(wasm.memory, layout.length * slotCount);
  return { slots, mean: allocFloat32(wasm.memory, n), sum: new WasmSlotSum(wasm, slots, layout) };
}


function expectSameBits(actual: Float32Array, expected: Float32Array): void {
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  const first = a.findIndex((bits, i) => bits !== e[i]);
  expect(first === -1 ? 'all equal' : `[${first}]: ${actual[first]} != ${expected[first]}`).toBe('all equal');
}

describe.each(['js', 'wasm'] as const)('%s slot sum', (kind) => {
  // 35 parameters, 20 values per slot: 7, a dense weight 4x5 with its bias, 4.
  const layout = layoutWithDense(7, 4, 5, 4);
  const n = layout.parameters;
  const L = layout.length;
  const batch = 23;

  it(`n=${n} (slots of ${L}) batch=${batch} through 5 slots in rounds 5,5,5,5,3 = one round of 23, bitwise`, () => {
    const all = randomValues(L * batch, 7);
    const expected = new Float32Array(n);
    averageSlots(expected, all, layout, batch, new Float64Array(n));
    const { slots, mean, sum } = makeSums(kind, layout, 5);
    for (let done = 0; done < batch; done += 5) {
      const count = Math.min(5, batch - done);
      if (done > 0) sum.carry();
      slots.set(all.subarray(done * L, (done + count) * L));
      sum.add(0, 2);
      if (count > 2) sum.add(2, count);
    }
    sum.finish(mean, batch);
    expectSameBits(mean, expected);
  });

  it('a retried round starts again from the carried sum, not from zero or from its first attempt', () => {
    const all = randomValues(L * 10, 11);
    const expected = new Float32Array(n);
    averageSlots(expected, all, layout, 10, new Float64Array(n));
    const { slots, mean, sum } = makeSums(kind, layout, 5);
    slots.set(all.subarray(0, 5 * L));
    sum.add(0, 5);
    sum.carry();
    slots.set(all.subarray(5 * L, 10 * L));
    sum.add(0, 3); // the attempt that failed after 3 slots
    sum.add(0, 5); // the retry
    sum.finish(mean, 10);
    expectSameBits(mean, expected);
  });

  it('noise is added to the sum before the division by a divisor that need not be the count', () => {
    const all = randomValues(L * 4, 3);
    const noise = Float64Array.from({ length: n }, (_, j) => j - 17.25);
    // The slots' whole gradients, summed as whole gradients: the factored sum must form each product as they do.
    const sum64 = new Float64Array(n);
    const whole = new Float32Array(n);
    for (let s = 0; s < 4; s++) {
      expandSlot(layout, all.subarray(s * L, (s + 1) * L), whole);
      for (let j = 0; j < n; j++) sum64[j] = s === 0 ? whole[j] : sum64[j] + whole[j];
    }
    const expected = Float32Array.from(sum64, (x, j) => (x + noise[j]) / 4.5);
    const { slots, mean, sum } = makeSums(kind, layout, 4);
    slots.set(all);
    sum.add(0, 4);
    sum.finish(mean, 4.5, noise);
    expectSameBits(mean, expected);
  });

  it('finish says whether every value of the mean is finite: NaN or an infinity in any slot, or a mean beyond float32', () => {
    const { slots, mean, sum } = makeSums(kind, layout, 2);
    const finiteOnes = randomValues(L * 2, 19);
    slots.set(finiteOnes);
    sum.add(0, 2);
    expect(sum.finish(mean, 2)).toBe(true);
    // A copied value in the 4-wide body and in wasm's scalar tail (coordinates 32..34), a dense factor.
    for (const [at, bad] of [[1, NaN], [L + 18, -Infinity], [L - 1, NaN], [layout.outers[0].input + 2, Infinity]]) {
      slots.set(finiteOnes);
      slots[at] = bad;
      sum.add(0, 2);
      expect(sum.finish(mean, 2)).toBe(false);
    }
    slots.set(finiteOnes);
    slots[3] = 3e38;
    slots[L + 3] = 3e38;
    sum.add(0, 2);
    expect(sum.finish(mean, 0.5)).toBe(false); // 1.2e39 in float64, Infinity in float32
  });

  it('a batch of no samples sums to zero (a Poisson draw can be empty), even after a batch that was not', () => {
    const { slots, mean, sum } = makeSums(kind, layout, 2);
    slots.set(randomValues(L * 2, 5));
    sum.add(0, 2);
    sum.finish(mean, 2);
    const noise = Float64Array.from({ length: n }, (_, j) => j);
    sum.finish(mean, 8, noise);
    expectSameBits(mean, Float32Array.from(noise, (x) => x / 8));
  });
});

describe.each(['js', 'wasm'] as const)('%s slot sum by the pool threads, in blocks of coordinates', (kind) => {
  // 37 coordinates (3, a dense weight 4x6 with its bias, 6): blocks that end inside a row, inside
  // wasm's 16-wide runs, and a short tail.
  const layout = layoutWithDense(3, 4, 6, 6);
  const n = layout.parameters;
  const L = layout.length;
  const blocks = [
    [0, 5],
    [5, 21],
    [21, 32],
    [32, 37],
  ];

  it('any split into blocks, summed in any order, gives bitwise the main thread sum of all slots', () => {
    const all = randomValues(L * 9, 13);
    const expected = new Float32Array(n);
    averageSlots(expected, all, layout, 9, new Float64Array(n));
    const { slots, mean, sum } = makeSums(kind, layout, 9);
    slots.set(all);
    for (const [first, last] of [...blocks].reverse()) sum.sumBlock(9, first, last, false);
    sum.summedInPool();
    sum.finish(mean, 9);
    expectSameBits(mean, expected);
  });

  it('a round after a carry starts each block from the carried sum, and a retried block sums the same', () => {
    const all = randomValues(L * 12, 17);
    const expected = new Float32Array(n);
    averageSlots(expected, all, layout, 12, new Float64Array(n));
    const { slots, mean, sum } = makeSums(kind, layout, 6);
    slots.set(all.subarray(0, 6 * L));
    for (const [first, last] of blocks) sum.sumBlock(6, first, last, false);
    sum.summedInPool();
    sum.carry();
    slots.set(all.subarray(6 * L, 12 * L));
    sum.sumBlock(6, 5, 21, true); // an attempt that failed after one block
    for (const [first, last] of blocks) sum.sumBlock(6, first, last, true);
    sum.summedInPool();
    sum.finish(mean, 12);
    expectSameBits(mean, expected);
  });
});

describe.each(['js', 'wasm'] as const)('%s slot sum of a dense weight whose output gradient is often zero (behind a ReLU)', (kind) => {
  // A dense weight 3x37 (two 16-column runs and a tail of 5) between runs of 2 and 3 values.
  const layout = layoutWithDense(2, 3, 37, 3);
  const n = layout.parameters;
  const L = layout.length;
  const batch = 45;
  const g = layout.outers[0].output;

  /** Row 0's g zero in every slot, row 1's in every slot but a few, row 2's in the first slot of each pass of 8 and at random (some -0). */
  function slotsWithZeroRows(seed: number): Float32Array {
    const all = randomValues(L * batch, seed);
    const rand = lcg(seed + 1);
    for (let s = 0; s < batch; s++) {
      all[s * L + g] = 0;
      if (s % 11 !== 3) all[s * L + g + 1] = 0;
      if (s % 8 === 0 || rand() < 0.4) all[s * L + g + 2] = rand() < 0.5 ? 0 : -0;
    }
    return all;
  }

  it('skipping the zero rows sums bitwise as every product would, on the main thread in runs and on the pool in blocks', () => {
    const all = slotsWithZeroRows(23);
    const expected = new Float32Array(n);
    averageSlots(expected, all, layout, batch, new Float64Array(n));
    const main = makeSums(kind, layout, batch);
    main.slots.set(all);
    main.sum.add(0, 1);
    main.sum.add(1, 19);
    main.sum.add(19, batch);
    main.sum.finish(main.mean, batch);
    expectSameBits(main.mean, expected);
    const pool = makeSums(kind, layout, batch);
    pool.slots.set(all);
    for (const [first, last] of [[0, 20], [20, 60], [60, n]]) pool.sum.sumBlock(batch, first, last, false);
    pool.sum.summedInPool();
    pool.sum.finish(pool.mean, batch);
    expectSameBits(pool.mean, expected);
    // Row 0 had only zero products: its sums are +0.
    const row0 = pool.mean.subarray(2, 2 + 37);
    expect(Array.from(row0, (x) => Object.is(x, 0))).toEqual(Array(37).fill(true));
  });
});

it('the wasm slot sum refuses blocks outside the coordinates and counts beyond the slots (it must not write outside its buffers)', () => {
  const { sum } = makeSums('wasm', flatSlotLayout(37), 3);
  expect(() => sum.sumBlock(3, 30, 38, false)).toThrow(/coordinates 30\.\.37 of 37/);
  expect(() => sum.sumBlock(4, 0, 5, false)).toThrow(/slots 0\.\.3 of 3/);
});
