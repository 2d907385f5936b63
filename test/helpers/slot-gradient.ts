import type { SampleKernels } from '../../src/kernels/sample-kernels.js';
import type { FloatArray } from '../../src/model/float-array.js';
import { expandSlot, type SlotLayout, slotLayout } from '../../src/model/slot-layout.js';

/** The whole gradient that `kernels` wrote into `slot`, in the parameters' layout. */
export function gradientOf(kernels: Pick<SampleKernels, 'slots'>, slot: FloatArray): FloatArray {
  const gradient = slot instanceof Float32Array ? new Float32Array(kernels.slots.parameters) : new Float64Array(kernels.slots.parameters);
  expandSlot(kernels.slots, slot, gradient);
  return gradient;
}

/**
 * Parameters laid out as a copied run of `before` values, a dense weight (rows, columns) held as
 * its factors with its bias, and another run of `after`.
 */
export function layoutWithDense(before: number, rows: number, columns: number, after: number): SlotLayout {
  const tensors = [
    { offset: 0, length: before, shape: [before] },
    { offset: before, length: rows * columns, shape: [rows, columns] },
    { offset: before + rows * columns, length: rows, shape: [rows] },
    { offset: before + rows * columns + rows, length: after, shape: [after] },
  ];
  return slotLayout(tensors, (i) => i === 1);
}
