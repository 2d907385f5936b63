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
export function addSlot(sum: Float64Array, slots: FloatArray, s: number, fresh = s === 0): void {
  const n = sum.length;
  const base = s * n;
  if (fresh) sum.set(slots.subarray(0, n));
  else for (let j = 0; j < n; j++) sum[j] += slots[base + j];
}

export function meanOfSum(mean: FloatArray, sum: Float64Array, divisor: number): void {
  for (let j = 0; j < mean.length; j++) mean[j] = sum[j] / divisor;
}

/**
 * A batch's mean gradient built while the batch is computed: the coordinator calls add(from, to)
 * on the main thread for each run of slots completed since the last call, in order and starting
 * at slot 0 (again from 0 if the step is retried), and finish once all slots are in. The rounding
 * is averageSlots' exactly, however the slots are split into runs.
 *
 * A batch larger than the slots goes through them in rounds: carry() after each round but the
 * last makes the sum so far the start of the next, so that its slot 0 adds to it (and a retried
 * round starts again from there). A batch of no samples (Poisson sampling can draw one) sums to 0.
 */
export interface SlotSum {
  /** Adds slots [from, to). */
  add(from: number, to: number): void;
  /** Ends a round of the batch; the next add from slot 0 continues its sum. */
  carry(): void;
  /** mean = (sum + noise) / divisor, the noise only in private training; then a new batch may start. */
  finish(mean: FloatArray, divisor: number, noise?: Float64Array): void;
}

/**
 * What every SlotSum tracks besides its sum: whether anything was added, and what a round starts
 * from. `sum` gives the running sum (f64); it is only called in the rare cases that touch it here.
 */
export class Rounds {
  /** Nothing added or carried since the last finish: the sum is stale and means 0. */
  private empty = true;
  /** The sum at the end of the last carried round, or null when none was carried. */
  private carried: Float64Array | null = null;

  constructor(private readonly sum: () => Float64Array) {}

  carry(): void {
    const sum = this.sum();
    (this.carried ??= new Float64Array(sum.length)).set(sum);
    this.empty = false;
  }

  /** Brings the sum to the batch's before `add(from, to)`; returns whether slot 0 starts it afresh. */
  beforeAdd(from: number): boolean {
    this.empty = false;
    if (from !== 0 || this.carried === null) return from === 0;
    this.sum().set(this.carried);
    return false;
  }

  /** The batch's sum, finished: zeros for an empty batch, the noise added. */
  finish(noise: Float64Array | undefined): void {
    if (this.empty || noise !== undefined) {
      const sum = this.sum();
      if (this.empty) sum.fill(0);
      if (noise !== undefined) for (let j = 0; j < sum.length; j++) sum[j] += noise[j];
    }
    this.empty = true;
    this.carried = null;
  }
}

/** SlotSum in JavaScript, for the TypeScript kernels (either dtype). */
export class JsSlotSum implements SlotSum {
  private readonly sum: Float64Array;
  private readonly rounds: Rounds;

  constructor(private readonly slots: FloatArray, parameterCount: number) {
    this.sum = new Float64Array(parameterCount);
    this.rounds = new Rounds(() => this.sum);
  }

  add(from: number, to: number): void {
    const fresh = this.rounds.beforeAdd(from);
    for (let s = from; s < to; s++) addSlot(this.sum, this.slots, s, fresh && s === 0);
  }

  carry(): void {
    this.rounds.carry();
  }

  finish(mean: FloatArray, divisor: number, noise?: Float64Array): void {
    this.rounds.finish(noise);
    meanOfSum(mean, this.sum, divisor);
  }
}
