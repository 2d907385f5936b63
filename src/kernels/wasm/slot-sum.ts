import { type BatchSums, Rounds, type SlotSum } from '../../optim/average-slots.js';
import { cachedKernels, type KernelExports, type WasmModuleAndMemory } from './kernel-exports.js';
import { addressOf, allocFloat64 } from './shared-memory.js';
import type { SlotLayout } from '../../model/slot-layout.js';
import { allocSlotLayout } from './slot-layout-words.js';

/**
 * Slots per addSlots pass. On slots another core had just written, summing 100 slots took
 * 0.40-0.55 ms one slot per pass and 0.25 ms in passes of 8 (medians of 60 alternating runs);
 * passes of 16 were slower again and passes of 50 three times slower, reading more slots at once
 * than the prefetchers follow.
 */
const SLOTS_PER_PASS = 8;

/** A running sum and a carried sum in the shared wasm memory, where every thread's kernels reach them. */
export function allocWasmBatchSums(backend: WasmModuleAndMemory, n: number): BatchSums {
  return { sum: allocFloat64(backend.memory, n), carried: allocFloat64(backend.memory, n) };
}

/**
 * optim/average-slots.ts's JsSlotSum in wasm SIMD, bitwise the same in float32: an f64 running sum
 * in the shared memory, fed runs of slots while the workers compute the rest of the batch, or
 * summed by blocks of coordinates on the pool threads.
 */
export class WasmSlotSum implements SlotSum {
  private readonly kernels: KernelExports;
  private readonly sumAt: number;
  private readonly slotsAt: number;
  private readonly layoutAt: number;
  private readonly slotCount: number;
  private readonly rounds: Rounds;

  constructor(
    private readonly backend: WasmModuleAndMemory,
    slots: Float32Array,
    private readonly layout: SlotLayout,
    private readonly sums = allocWasmBatchSums(backend, layout.parameters),
  ) {
    const n = layout.parameters;
    this.kernels = cachedKernels(backend);
    this.slotsAt = addressOf(backend.memory, slots, 'slots', layout.length);
    this.sumAt = addressOf(backend.memory, sums.sum, 'sum', n, Float64Array);
    addressOf(backend.memory, sums.carried, 'carried sum', n, Float64Array);
    this.layoutAt = allocSlotLayout(backend.memory, layout);
    this.slotCount = Math.floor(slots.length / layout.length);
    this.rounds = new Rounds(sums);
  }

  add(from: number, to: number): void {
    this.checkSlots(from, to);
    const fresh = this.rounds.beforeAdd(from);
    this.addPasses(0, this.layout.parameters, from, to, fresh);
  }

  sumBlock(count: number, first: number, last: number, fromCarried: boolean): void {
    this.checkSlots(0, count);
    if (!(Number.isInteger(first) && Number.isInteger(last) && 0 <= first && first < last && last <= this.layout.parameters)) {
      throw new RangeError(`no coordinates ${first}..${last - 1} of ${this.layout.parameters}`);
    }
    if (fromCarried) this.sums.sum.set(this.sums.carried.subarray(first, last), first);
    this.addPasses(first, last, 0, count, !fromCarried);
  }

  summedInPool(): void {
    this.rounds.summedInPool();
  }

  carry(): void {
    this.rounds.carry();
  }

  finish(mean: Float32Array, divisor: number, noise?: Float64Array): boolean {
    if (!(divisor > 0)) throw new RangeError(`cannot divide the sum by ${divisor}`);
    this.rounds.finish(noise);
    const n = this.layout.parameters;
    return this.kernels.meanOfSum(addressOf(this.backend.memory, mean, 'mean', n), this.sumAt, n, divisor) !== 0;
  }

  finishBlock(mean: Float32Array, divisor: number, first: number, last: number): boolean {
    const meanAt = addressOf(this.backend.memory, mean, 'mean', this.layout.parameters);
    return this.kernels.meanOfSum(meanAt + first * 4, this.sumAt + first * 8, last - first, divisor) !== 0;
  }

  private checkSlots(from: number, to: number): void {
    if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from < to && to <= this.slotCount)) {
      throw new RangeError(`no gradient slots ${from}..${to - 1} of ${this.slotCount}`);
    }
  }

  /** Slots [from, to) into coordinates [first, last) of the sum, SLOTS_PER_PASS at a time. */
  private addPasses(first: number, last: number, from: number, to: number, fresh: boolean): void {
    const stride = this.layout.length;
    for (let s = from; s < to; s += SLOTS_PER_PASS) {
      const end = Math.min(to, s + SLOTS_PER_PASS);
      this.kernels.addLaidOutSlots(this.sumAt, this.slotsAt, stride, this.layoutAt, first, last, s, end, fresh && s === from);
    }
  }
}
