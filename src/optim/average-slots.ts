import type { FloatArray } from '../model/float-array.js';

/**
 * mean[j] = (slot_0[j] + slot_1[j] + ... + slot_{count-1}[j]) / count, summed in sample order
 * whatever thread computed each slot: the order, not the threads, fixes the rounding, which is
 * why the weights are bitwise the same for any thread count. Dividing by count (rather than
 * multiplying by 1/count) is what numpy's mean(axis=0) does, so float64 runs match the seed.
 * `sum` is float64 scratch of the same length as mean.
 */
export function averageSlots(mean: FloatArray, slots: FloatArray, count: number, sum: Float64Array): void {
  for (let s = 0; s < count; s++) addSlot(sum, slots, s);
  meanOfSum(mean, sum, count);
}

/**
 * One step of that sum: sum = slot 0 when s is 0, else sum += slot s. Fed slots 0, 1, 2, ... as
 * they complete, it gives averageSlots' sums exactly; sample-major, so each slot is read once.
 */
export function addSlot(sum: Float64Array, slots: FloatArray, s: number): void {
  const n = sum.length;
  const base = s * n;
  if (s === 0) sum.set(slots.subarray(0, n));
  else for (let j = 0; j < n; j++) sum[j] += slots[base + j];
}

export function meanOfSum(mean: FloatArray, sum: Float64Array, count: number): void {
  for (let j = 0; j < mean.length; j++) mean[j] = sum[j] / count;
}

/**
 * A batch's mean gradient built while the batch is computed: the coordinator calls add(from, to)
 * on the main thread for each run of slots completed since the last call, in order and starting
 * at slot 0 (again from 0 if the step is retried), and finish once all `count` slots are in. The
 * rounding is averageSlots' exactly, however the slots are split into runs.
 */
export interface SlotSum {
  /** Adds slots [from, to). */
  add(from: number, to: number): void;
  finish(mean: FloatArray, count: number): void;
}

/** SlotSum in JavaScript, for the TypeScript kernels (either dtype). */
export class JsSlotSum implements SlotSum {
  private readonly sum: Float64Array;

  constructor(private readonly slots: FloatArray, parameterCount: number) {
    this.sum = new Float64Array(parameterCount);
  }

  add(from: number, to: number): void {
    for (let s = from; s < to; s++) addSlot(this.sum, this.slots, s);
  }

  finish(mean: FloatArray, count: number): void {
    meanOfSum(mean, this.sum, count);
  }
}
