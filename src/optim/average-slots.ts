import type { FloatArray } from '../model/float-array.js';
import { outerValue, type SlotLayout } from '../model/slot-layout.js';

/**
 * mean[j] = (slot_0[j] + slot_1[j] + ... + slot_{count-1}[j]) / count, summed in sample order
 * whatever thread computed each slot: the order, not the threads, fixes the rounding, which is
 * why the weights are bitwise the same for any thread count. Dividing by count (rather than
 * multiplying by 1/count) is what numpy's mean(axis=0) does, so float64 runs match the seed.
 * `sum` is float64 scratch of the same length as mean; the slots are laid out by `layout`.
 */
export function averageSlots(mean: FloatArray, slots: FloatArray, layout: SlotLayout, count: number, sum: Float64Array): void {
  addSlots(sum, slots, layout, 0, count, 0, layout.parameters, true);
  meanOfSum(mean, sum, count);
}

/**
 * Coordinates [first, last) of the gradients in slots [from, to) into `sum`, in sample order: the
 * slot `from` starts the sum when `fresh`, else it adds to what the sum holds. A dense weight's
 * values are formed from its factors as the kernels would have written them (outerValue), so
 * each coordinate gets the same f64 additions as if the slots held whole gradients. Sample-major,
 * so each slot is read once.
 */
export function addSlots(
  sum: Float64Array,
  slots: FloatArray,
  layout: SlotLayout,
  from: number,
  to: number,
  first: number,
  last: number,
  fresh: boolean,
): void {
  const float32 = slots instanceof Float32Array;
  for (let s = from; s < to; s++) {
    const base = s * layout.length;
    const start = fresh && s === from;
    for (const c of layout.copies) {
      const lo = Math.max(first, c.parameter);
      const hi = Math.min(last, c.parameter + c.length);
      const at = base + c.slot - c.parameter;
      if (start) for (let p = lo; p < hi; p++) sum[p] = slots[at + p];
      else for (let p = lo; p < hi; p++) sum[p] += slots[at + p];
    }
    for (const o of layout.outers) {
      // Row r of the weight covers parameters [row, row + columns); only [first, last) is summed.
      for (let r = 0; r < o.rows; r++) {
        const row = o.parameter + r * o.columns;
        const g = slots[base + o.output + r];
        for (let p = Math.max(first, row); p < Math.min(last, row + o.columns); p++) {
          const x = outerValue(g, slots[base + o.input + p - row], float32);
          sum[p] = start ? x : sum[p] + x;
        }
      }
    }
  }
}

/** mean = sum / divisor; returns whether every value of the mean, as stored, is finite. */
export function meanOfSum(mean: FloatArray, sum: Float64Array, divisor: number): boolean {
  let finite = true;
  for (let j = 0; j < mean.length; j++) {
    mean[j] = sum[j] / divisor;
    // v - v is 0 for a finite v, NaN for NaN and the infinities (a float32 mean may overflow).
    if (mean[j] - mean[j] !== 0) finite = false;
  }
  return finite;
}

/** A batch's running sum of its slots and the sum carried from its last round: f64, shared with the pool threads. */
export interface BatchSums {
  readonly sum: Float64Array;
  readonly carried: Float64Array;
}

export function allocBatchSums(parameterCount: number): BatchSums {
  const f64 = () => new Float64Array(new SharedArrayBuffer(parameterCount * 8));
  return { sum: f64(), carried: f64() };
}

/**
 * A batch's mean gradient, summed either on the main thread while the pool computes the batch, or
 * by the pool threads themselves once it has: the coordinator calls add(from, to) on the main
 * thread for each run of slots completed since the last call, in order and starting at slot 0
 * (again from 0 if the step is retried); or pool threads each sum blocks of coordinates over all
 * the round's slots (sumBlock) and the main thread is told so (summedInPool). finish follows once
 * all slots are in. Either way every coordinate gets averageSlots' operations in its order, so the
 * rounding is the same however the slots are split into runs or the coordinates into blocks.
 *
 * A batch larger than the slots goes through them in rounds: carry() after each round but the
 * last makes the sum so far the start of the next, so that its slot 0 adds to it (and a retried
 * round starts again from there). A batch of no samples (Poisson sampling can draw one) sums to 0.
 */
export interface SlotSum {
  /** Adds slots [from, to). */
  add(from: number, to: number): void;
  /**
   * On a pool thread: sum[j] for j in [first, last) = slot 0 + slot 1 + ... + slot count-1, added
   * to the carried sum when `fromCarried`. Writes only the sum, so a retried round can sum again.
   */
  sumBlock(count: number, first: number, last: number, fromCarried: boolean): void;
  /** The pool threads have summed this round's slots (with sumBlock, from the carried sum after a carry). */
  summedInPool(): void;
  /** Ends a round of the batch; the next add from slot 0 continues its sum. */
  carry(): void;
  /**
   * mean = (sum + noise) / divisor, the noise only in private training; then a new batch may start.
   * Returns whether every value of the mean is finite.
   */
  finish(mean: FloatArray, divisor: number, noise?: Float64Array): boolean;
  /**
   * On a pool thread that applies the update itself (no carried rounds, no noise): mean = sum /
   * divisor on coordinates [first, last) that it has just summed, as finish computes them; returns
   * whether they are all finite.
   */
  finishBlock(mean: FloatArray, divisor: number, first: number, last: number): boolean;
}

/** What every SlotSum tracks besides its sum: whether anything was added, and what a round starts from. */
export class Rounds {
  /** Nothing added or carried since the last finish: the sum is stale and means 0. */
  private empty = true;
  /** Whether sums.carried holds the sum at the end of a carried round of this batch. */
  private hasCarried = false;

  constructor(private readonly sums: BatchSums) {}

  carry(): void {
    this.sums.carried.set(this.sums.sum);
    this.hasCarried = true;
    this.empty = false;
  }

  /** Brings the sum to the batch's before `add(from, to)`; returns whether slot 0 starts it afresh. */
  beforeAdd(from: number): boolean {
    this.empty = false;
    if (from !== 0 || !this.hasCarried) return from === 0;
    this.sums.sum.set(this.sums.carried);
    return false;
  }

  summedInPool(): void {
    this.empty = false;
  }

  /** The batch's sum, finished: zeros for an empty batch, the noise added. */
  finish(noise: Float64Array | undefined): void {
    const sum = this.sums.sum;
    if (this.empty) sum.fill(0);
    if (noise !== undefined) for (let j = 0; j < sum.length; j++) sum[j] += noise[j];
    this.empty = true;
    this.hasCarried = false;
  }
}

/** SlotSum in JavaScript, for the TypeScript kernels (either dtype). */
export class JsSlotSum implements SlotSum {
  private readonly rounds: Rounds;

  constructor(
    private readonly slots: FloatArray,
    private readonly layout: SlotLayout,
    private readonly sums = allocBatchSums(layout.parameters),
  ) {
    this.rounds = new Rounds(sums);
  }

  add(from: number, to: number): void {
    const fresh = this.rounds.beforeAdd(from);
    addSlots(this.sums.sum, this.slots, this.layout, from, to, 0, this.layout.parameters, fresh);
  }

  sumBlock(count: number, first: number, last: number, fromCarried: boolean): void {
    const { sum, carried } = this.sums;
    if (fromCarried) sum.set(carried.subarray(first, last), first);
    addSlots(sum, this.slots, this.layout, 0, count, first, last, !fromCarried);
  }

  summedInPool(): void {
    this.rounds.summedInPool();
  }

  carry(): void {
    this.rounds.carry();
  }

  finish(mean: FloatArray, divisor: number, noise?: Float64Array): boolean {
    this.rounds.finish(noise);
    return meanOfSum(mean, this.sums.sum, divisor);
  }

  finishBlock(mean: FloatArray, divisor: number, first: number, last: number): boolean {
    return meanOfSum(mean.subarray(first, last), this.sums.sum.subarray(first, last), divisor);
  }
}
