/**
 * Initialisation of a layer stack (docs/models.md): each weight is drawn from a normal
 * distribution with zero mean and
 *   He (Kaiming) std sqrt(2 / fan_in)                 when the layer is followed by ReLU,
 *   Glorot (Xavier) std sqrt(2 / (fan_in + fan_out))  otherwise (tanh, or the output layer);
 * biases are zero. fan_in = in*kh*kw and fan_out = out*kh*kw for a convolution, in and out for a
 * dense layer. "Followed by ReLU" looks past maxpool and flatten, which commute with ReLU, so
 * conv,maxpool2,relu is initialised like conv,relu,maxpool2.
 *
 * Weights are drawn in layer order, each in its tensor's C order (out, in, kh, kw), no draws for
 * biases, from a NormalSource: with numpy's stream, weight i is `np.random.randn(*shape) * std`
 * over the same sequence, which a Python script can replay. Draws are float64, rounded once on store.
 */
import type { FloatArray } from '../float-array.js';
import type { NormalSource } from '../init.js';
import type { StackDims, StackLayer } from './dims.js';
import type { SequentialLayout } from './parameters.js';

export type InitRule = 'he' | 'glorot';

/** The rule and standard deviation of a layer's weights (the layer must have parameters). */
export function weightScale(dims: StackDims, position: number): { rule: InitRule; std: number } {
  const layer = dims.layers[position - 1];
  const { fanIn, fanOut } = fans(layer);
  const next = dims.layers.slice(position).find((l) => l.type !== 'maxpool' && l.type !== 'flatten');
  return next?.type === 'relu' ? { rule: 'he', std: Math.sqrt(2 / fanIn) } : { rule: 'glorot', std: Math.sqrt(2 / (fanIn + fanOut)) };
}

function fans(layer: StackLayer): { fanIn: number; fanOut: number } {
  if (layer.type === 'conv') {
    const { C, F, KH, KW } = layer.conv;
    return { fanIn: C * KH * KW, fanOut: F * KH * KW };
  }
  if (layer.type === 'dense') return { fanIn: layer.inputs, fanOut: layer.outputs };
  throw new RangeError(`layer ${layer.position} (${layer.text}) has no weights`);
}

export function initStackParameters(params: FloatArray, layout: SequentialLayout, dims: StackDims, rng: NormalSource): void {
  for (const t of layout.tensors) {
    const values = params.subarray(t.offset, t.offset + t.length);
    if (t.role === 'bias') {
      values.fill(0);
      continue;
    }
    const { std } = weightScale(dims, t.position);
    for (let i = 0; i < values.length; i++) values[i] = rng.initNormal() * std;
  }
}
