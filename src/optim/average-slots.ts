import type { FloatArray } from '../model/float-array.js';

/**
 * mean[j] = (slot_0[j] + slot_1[j] + ... + slot_{count-1}[j]) / count, summed in sample order
 * whatever thread computed each slot: the order, not the threads, fixes the rounding, which is
 * why the weights are bitwise the same for any thread count. Dividing by count (rather than
 * multiplying by 1/count) is what numpy's mean(axis=0) does, so float64 runs match the seed.
 * `sum` is float64 scratch of the same length as mean.
 */
export function averageSlots(mean: FloatArray, slots: FloatArray, count: number, sum: Float64Array): void {
  const n = mean.length;
  // Sample-major so each slot is read sequentially; per element it is the same left-to-right sum.
  sum.set(slots.subarray(0, n));
  for (let s = 1; s < count; s++) {
    const base = s * n;
    for (let j = 0; j < n; j++) sum[j] += slots[base + j];
  }
  for (let j = 0; j < n; j++) mean[j] = sum[j] / count;
}
