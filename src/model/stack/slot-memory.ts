/**
 * Every sample of a batch gets its own gradient slot (batch x slot values in shared memory, a
 * slot holding fewer values than there are parameters: model/slot-layout.ts), which is what makes the sum independent of the thread count; a large network at a
 * large batch can need more memory than there is. This says so before anything is allocated.
 */
import { UserError } from '../../util/errors.js';
import type { Dtype } from '../float-array.js';

export interface SlotMemory {
  readonly bytes: number;
  readonly bytesPerValue: number;
  /** The largest batch whose slots fit the limit (0 when not even one does). */
  readonly largestBatch: number;
}

export function slotMemory(batch: number, slotValues: number, dtype: Dtype, limitBytes: number): SlotMemory {
  const bytesPerValue = dtype === 'float32' ? 4 : 8;
  return { bytes: batch * slotValues * bytesPerValue, bytesPerValue, largestBatch: Math.floor(limitBytes / (slotValues * bytesPerValue)) };
}

/** The per-sample gradient slots would not fit; says how many bytes they need and what to lower. */
export class SlotMemoryError extends UserError {
  constructor(
    readonly batch: number,
    readonly slotValues: number,
    readonly dtype: Dtype,
    readonly limitBytes: number,
    readonly memory: SlotMemory,
  ) {
    const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
    const fixes = [
      memory.largestBatch > 0 ? `a batch of at most ${memory.largestBatch}` : null,
      dtype === 'float64' ? 'float32 (half the bytes)' : null,
      'a network with fewer parameters',
    ].filter((f): f is string => f !== null);
    super(
      `the per-sample gradient slots need batch ${batch} x ${slotValues.toLocaleString('en-US')} values x ` +
        `${memory.bytesPerValue} bytes = ${mib(memory.bytes)}, more than the ${mib(limitBytes)} available: use ${fixes.join(', or ')}`,
    );
    this.name = 'SlotMemoryError';
  }
}

/** Throws SlotMemoryError when batch x slotValues values of `dtype` exceed `limitBytes`. */
export function checkSlotMemory(batch: number, slotValues: number, dtype: Dtype, limitBytes: number): SlotMemory {
  const memory = slotMemory(batch, slotValues, dtype, limitBytes);
  if (memory.bytes > limitBytes) throw new SlotMemoryError(batch, slotValues, dtype, limitBytes, memory);
  return memory;
}
