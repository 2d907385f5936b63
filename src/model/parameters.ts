import type { FloatArray } from './float-array.js';
import type { ModelDims } from './config.js';
import { type SlotLayout, slotLayout } from './slot-layout.js';

/** The seed's parameter names, in the order they sit in the flat parameter buffer. */
export const PARAMETER_NAMES = ['kern', 'kb', 'kern2', 'kb2', 'w', 'b'] as const;
export type ParameterName = (typeof PARAMETER_NAMES)[number];

export interface ParameterTensor {
  readonly name: ParameterName;
  readonly offset: number;
  readonly length: number;
  /** The seed's shape, e.g. kern (16,8,8), w (10,8,9,9). */
  readonly shape: readonly number[];
}

/**
 * All parameters live in one flat buffer, so updating them is a single loop over `total` values;
 * each per-sample gradient has a slot in the same order (./slot-layout.ts).
 */
export interface ParameterLayout {
  readonly tensors: readonly ParameterTensor[];
  readonly total: number;
}

export function parameterLayout(d: ModelDims): ParameterLayout {
  const { conv1: c1, conv2: c2 } = d;
  const shapes: Record<ParameterName, number[]> = {
    kern: [c1.F, c1.KH, c1.KW],
    kb: [c1.F],
    kern2: [c2.F, c2.C, c2.KH, c2.KW],
    kb2: [c2.F],
    w: [d.classes, c2.F, c2.OH, c2.OW],
    b: [d.classes],
  };
  let offset = 0;
  const tensors = PARAMETER_NAMES.map((name) => {
    const shape = shapes[name];
    const length = shape.reduce((a, b) => a * b, 1);
    const tensor = { name, offset, length, shape };
    offset += length;
    return tensor;
  });
  return { tensors, total: offset };
}

export type ParameterViews = Record<ParameterName, FloatArray>;

/** Per-tensor views into a flat buffer laid out by `layout` (no copies). */
export function parameterViews(flat: FloatArray, layout: ParameterLayout): ParameterViews {
  const views = {} as ParameterViews;
  for (const t of layout.tensors) views[t.name] = flat.subarray(t.offset, t.offset + t.length);
  return views;
}

/** The seed's gradient slots: the dense weight w as its factors. */
export function seedSlotLayout(layout: ParameterLayout): SlotLayout {
  return slotLayout(layout.tensors, (i) => layout.tensors[i].name === 'w');
}
