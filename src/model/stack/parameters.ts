/**
 * A layer stack's parameters under torch.nn.Sequential's names and layouts, so that a state_dict
 * maps onto them one to one: `<i>.weight` and `<i>.bias` for the layer at Sequential index i
 * (activations, pools and flatten count, as in `0.weight, 3.weight, 7.weight, 9.weight` of the
 * Opacus network), a convolution's weight (out,in,kh,kw), a dense one's (out,in). They lie in one
 * flat buffer in layer order, each weight before its bias, like the seed's ../parameters.ts.
 */
import type { FloatArray } from '../float-array.js';
import type { StackDims } from './dims.js';
import { type SlotLayout, slotLayout } from '../slot-layout.js';

export interface SequentialTensor {
  /** e.g. "3.weight". */
  readonly name: string;
  /** The layer's 1-based position in the description (its Sequential index + 1). */
  readonly position: number;
  readonly role: 'weight' | 'bias';
  readonly offset: number;
  readonly length: number;
  readonly shape: readonly number[];
}

export interface SequentialLayout {
  readonly tensors: readonly SequentialTensor[];
  readonly total: number;
}

export function sequentialLayout(dims: StackDims): SequentialLayout {
  const tensors: SequentialTensor[] = [];
  let offset = 0;
  const add = (position: number, role: 'weight' | 'bias', shape: number[]): void => {
    const length = shape.reduce((a, b) => a * b, 1);
    tensors.push({ name: `${position - 1}.${role}`, position, role, offset, length, shape });
    offset += length;
  };
  for (const l of dims.layers) {
    if (l.type === 'conv') {
      const { F, C, KH, KW } = l.conv;
      add(l.position, 'weight', [F, C, KH, KW]);
      add(l.position, 'bias', [F]);
    } else if (l.type === 'dense') {
      add(l.position, 'weight', [l.outputs, l.inputs]);
      add(l.position, 'bias', [l.outputs]);
    }
  }
  return { tensors, total: offset };
}

/** A layer's weight and bias as views into a flat buffer (no copies); null for layers without parameters. */
export interface LayerParameters {
  readonly weight: FloatArray;
  readonly bias: FloatArray;
}

/** One entry per layer of the stack, in order, viewing `flat` laid out by `layout`. */
export function layerParameterViews(flat: FloatArray, layout: SequentialLayout, layerCount: number): (LayerParameters | null)[] {
  const views: (LayerParameters | null)[] = Array.from({ length: layerCount }, () => null);
  const view = (t: SequentialTensor) => flat.subarray(t.offset, t.offset + t.length);
  for (let i = 0; i < layout.tensors.length; i += 2) {
    const weight = layout.tensors[i];
    views[weight.position - 1] = { weight: view(weight), bias: view(layout.tensors[i + 1]) };
  }
  return views;
}

/** A stack's gradient slots: each dense layer's weight as its factors. */
export function stackSlotLayout(dims: StackDims, layout: SequentialLayout): SlotLayout {
  const t = layout.tensors;
  return slotLayout(t, (i) => t[i].role === 'weight' && dims.layers[t[i].position - 1].type === 'dense');
}
