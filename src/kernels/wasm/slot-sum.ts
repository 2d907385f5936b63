import { Rounds, type SlotSum } from '../../optim/average-slots.js';
import { cachedKernels, type KernelExports, type WasmModuleAndMemory } from './kernel-exports.js';
import { addressOf, allocBytes } from './shared-memory.js';

/**
 * Slots per addSlots pass. On slots another core had just written, summing 100 slots took
 * 0.40-0.55 ms one slot per pass and 0.25 ms in passes of 8 (medians of 60 alternating runs);
 * passes of 16 were slower again and passes of 50 three times slower, reading more slots at once
 * than the prefetchers follow.
 */
const SLOTS_PER_PASS = 8;

/**
 * optim/average-slots.ts's JsSlotSum in wasm SIMD, bitwise the same in float32: an f64 running sum
 * in the shared memory, fed runs of slots while the workers compute the rest of the batch.
 */
export class WasmSlotSum implements SlotSum {
  private readonly kernels: KernelExports;
  private readonly sumAt: number;
  private readonly slotsAt: number;
  private readonly slotCount: number;
  private readonly rounds: Rounds;

  constructor(
    private readonly backend: WasmModuleAndMemory,
    slots: Float32Array,
    private readonly n: number,
  ) {
    this.kernels = cachedKernels(backend);
    this.slotsAt = addressOf(backend.memory, slots, 'slots', n);
    this.slotCount = Math.floor(slots.length / n);
    this.sumAt = allocBytes(backend.memory, n * 8);
    this.rounds = new Rounds(() => new Float64Array(this.backend.memory.buffer, this.sumAt, this.n));
  }

  add(from: number, to: number): void {
    if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from < to && to <= this.slotCount)) {
      throw new RangeError(`no gradient slots ${from}..${to - 1} of ${this.slotCount}`);
    }
    const fresh = this.rounds.beforeAdd(from);
    for (let s = from; s < to; s += SLOTS_PER_PASS) {
      this.kernels.addSlots(this.sumAt, this.slotsAt, this.n, s, Math.min(to, s + SLOTS_PER_PASS), fresh && s === 0);
    }
  }

  carry(): void {
    this.rounds.carry();
  }

  finish(mean: Float32Array, divisor: number, noise?: Float64Array): void {
    if (!(divisor > 0)) throw new RangeError(`cannot divide the sum by ${divisor}`);
    this.rounds.finish(noise);
    this.kernels.meanOfSum(addressOf(this.backend.memory, mean, 'mean', this.n), this.sumAt, this.n, divisor);
  }
}
