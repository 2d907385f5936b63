import { describe, expect, it } from 'vitest';
import { checkSlotMemory, SlotMemoryError, slotMemory } from '../src/model/stack/index.js';

describe('per-sample gradient slots: batch x values per slot x bytes per value', () => {
  it('batch=100 values=26,010 float32: 10,404,000 bytes, fits 16 MiB', () => {
    expect(checkSlotMemory(100, 26_010, 'float32', 2 ** 24)).toEqual({ bytes: 10_404_000, bytesPerValue: 4, largestBatch: 161 });
  });
  it('batch=1000 values=26,010 float64 over 128 MiB: says the bytes and what to lower, in one line', () => {
    const error = (() => {
      try {
        checkSlotMemory(1000, 26_010, 'float64', 2 ** 27);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(SlotMemoryError);
    expect((error as Error).message).toBe(
      'the per-sample gradient slots need batch 1000 x 26,010 values x 8 bytes = 198.4 MiB, more than the 128.0 MiB available: ' +
        'use a batch of at most 645, or float32 (half the bytes), or a network with fewer parameters',
    );
  });
  it('a network whose one slot exceeds the limit: no batch fits, so fewer parameters', () => {
    expect(slotMemory(1, 2 ** 22, 'float32', 2 ** 20).largestBatch).toBe(0);
    expect(() => checkSlotMemory(1, 2 ** 22, 'float32', 2 ** 20)).toThrow(/available: use a network with fewer parameters$/);
  });
});
