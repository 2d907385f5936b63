/**
 * Every size a layer stack needs, derived once from its spec, with the checks that need the
 * input shape: each layer's input and output shape, its kernel dimensions, its parameters and
 * multiply-adds. Shapes follow PyTorch's floor formula (H + 2p - k) / s + 1.
 */
import { convOutputSize, type PaddedConvDims } from '../layers/conv.js';
import type { PoolDims } from '../layers/maxpool.js';
import { formatLayer } from './compact.js';
import { checkSize, layerError, type LayerPlace, ModelSpecError } from './errors.js';
import type { LayerSpec, NetworkSpec } from './spec.js';

/** An activation: (channels, height, width) before flatten, (values) after. */
export type ActivationShape = readonly [number, number, number] | readonly [number];

interface LayerCommon {
  /** 1-based, as errors and the summary count layers; the nn.Sequential index is position - 1. */
  readonly position: number;
  readonly spec: LayerSpec;
  /** The layer in the compact form. */
  readonly text: string;
  readonly input: ActivationShape;
  readonly output: ActivationShape;
  /** Weight and bias count (0 for layers without parameters). */
  readonly parameters: number;
  /** Multiply-adds of one sample's forward pass. */
  readonly forwardMultiplyAdds: number;
  /** Whether backward must write this layer's input gradient: only when an earlier layer has parameters. */
  readonly needsInputGradient: boolean;
  /** Forward and backward multiply-adds (weight gradient, and the input gradient when needed). */
  readonly multiplyAdds: number;
}

/** What each layer type adds: the dimensions its forward/backward pair takes. */
type LayerKind =
  | { readonly type: 'conv'; readonly conv: PaddedConvDims }
  | { readonly type: 'maxpool'; readonly pool: PoolDims }
  | { readonly type: 'dense'; readonly inputs: number; readonly outputs: number }
  | { readonly type: 'relu' | 'tanh' | 'flatten' };

export type StackLayer = LayerCommon & LayerKind;

export interface StackDims {
  readonly spec: NetworkSpec;
  readonly layers: readonly StackLayer[];
  /** C*H*W values of one image. */
  readonly inputSize: number;
  readonly classes: number;
  readonly parameters: number;
  readonly forwardMultiplyAdds: number;
  /** Forward and backward, counted as ModelDims.multiplyAddsPerSample counts the seed's network. */
  readonly multiplyAddsPerSample: number;
}

const size = (s: ActivationShape): number => s.reduce((a, b) => a * b, 1);
const shapeText = (s: ActivationShape): string => (s.length === 1 ? `${s[0]} values` : `(${s.join(',')})`);

/** Derives every layer's sizes, or throws a ModelSpecError naming the first layer that does not fit. */
export function deriveStackDims(spec: NetworkSpec): StackDims {
  const [C, H, W] = ['channels', 'height', 'width'].map((what, i) => checkSize(spec.input[i], `the input ${what}`, 1, null));
  const classes = checkSize(spec.classes, 'the class count', 1, null);
  if (classes < 2) throw new ModelSpecError(`the data has ${classes} class; training needs at least 2`);
  if (spec.layers.length === 0) throw new ModelSpecError('the description names no layers');
  let shape: ActivationShape = [C, H, W];
  let from = 'the image';
  let seenParameters = false;
  const layers: StackLayer[] = [];
  spec.layers.forEach((layer, i) => {
    const place = { layer: i + 1, text: formatLayer(layer) };
    const common = { position: i + 1, spec: layer, text: place.text, input: shape, needsInputGradient: seenParameters };
    const derived = deriveLayer(layer, shape, from, place);
    const { parameters, forwardMultiplyAdds } = derived;
    const backward = parameters === 0 ? 0 : forwardMultiplyAdds * (seenParameters ? 2 : 1);
    layers.push({ ...common, ...derived, multiplyAdds: forwardMultiplyAdds + backward } as StackLayer);
    if (parameters > 0) seenParameters = true;
    shape = derived.output;
    from = `the output of layer ${i + 1}`;
  });
  checkOutput(layers, classes);
  const total = (key: 'parameters' | 'forwardMultiplyAdds' | 'multiplyAdds'): number => layers.reduce((a, l) => a + l[key], 0);
  if (!seenParameters) throw new ModelSpecError('the network has no parameters to train: add a conv or dense layer');
  return {
    spec,
    layers,
    inputSize: C * H * W,
    classes,
    parameters: total('parameters'),
    forwardMultiplyAdds: total('forwardMultiplyAdds'),
    multiplyAddsPerSample: total('multiplyAdds'),
  };
}

type Derived = LayerKind & { output: ActivationShape; parameters: number; forwardMultiplyAdds: number };

function deriveLayer(layer: LayerSpec, shape: ActivationShape, from: string, place: LayerPlace): Derived {
  switch (layer.type) {
    case 'conv':
    case 'maxpool': {
      if (shape.length !== 3) {
        throw layerError(place, `${layer.type} needs a (channels,height,width) input, but ${from} is flat (${shape[0]} values): put it before the flatten`);
      }
      const [C, H, W] = shape;
      const [KH, KW] = layer.kernel;
      const [strideH, strideW] = layer.stride;
      const [padH, padW] = layer.type === 'conv' ? layer.padding : [0, 0];
      if (KH > H + 2 * padH || KW > W + 2 * padW) {
        const what = layer.type === 'conv' ? 'kernel' : 'pool';
        const padded = padH + padW > 0 ? `, ${H + 2 * padH}x${W + 2 * padW} padded` : '';
        throw layerError(place, `the ${KH}x${KW} ${what} is larger than its ${H}x${W} input${padded} (${from}), so the output would be empty`);
      }
      const OH = convOutputSize(H, KH, strideH, padH);
      const OW = convOutputSize(W, KW, strideW, padW);
      if (layer.type === 'maxpool') {
        return { type: 'maxpool', pool: { C, H, W, KH, KW, strideH, strideW, OH, OW }, output: [C, OH, OW], parameters: 0, forwardMultiplyAdds: 0 };
      }
      const F = layer.out;
      const conv = { C, H, W, F, KH, KW, strideH, strideW, padH, padW, OH, OW };
      return { type: 'conv', conv, output: [F, OH, OW], parameters: F * C * KH * KW + F, forwardMultiplyAdds: F * OH * OW * C * KH * KW };
    }
    case 'dense': {
      if (shape.length !== 1) {
        // PyTorch's nn.Linear on a (C,H,W) tensor would act on the last axis alone; an implicit
        // flatten would make the same description mean two networks.
        throw layerError(place, `dense needs a flat input, but ${from} is ${shapeText(shape)}: put a flatten before it`);
      }
      const inputs = shape[0];
      const outputs = checkSize(layer.out, 'the width', 1, place);
      return { type: 'dense', inputs, outputs, output: [outputs], parameters: outputs * inputs + outputs, forwardMultiplyAdds: outputs * inputs };
    }
    case 'flatten':
      return { type: 'flatten', output: [size(shape)], parameters: 0, forwardMultiplyAdds: 0 };
    case 'relu':
    case 'tanh':
      return { type: layer.type, output: shape, parameters: 0, forwardMultiplyAdds: 0 };
    default:
      throw layerError(place, `unknown layer type '${(layer as { type: unknown }).type}'`);
  }
}

/** The network must end in one score per class, the last dense layer's width being the class count. */
function checkOutput(layers: readonly StackLayer[], classes: number): void {
  const last = layers[layers.length - 1];
  const lastDense = [...layers].reverse().find((l) => l.type === 'dense');
  const place = (l: StackLayer) => ({ layer: l.position, text: l.text });
  if (lastDense && lastDense.type === 'dense' && lastDense.outputs !== classes) {
    throw layerError(place(lastDense), `the last dense layer has ${lastDense.outputs} outputs but the data has ${classes} classes`);
  }
  if (last.output.length !== 1) {
    throw layerError(place(last), `the network ends in a ${shapeText(last.output)} output; it must end in ${classes} class scores (end it with flatten and dense)`);
  }
  if (last.output[0] !== classes) {
    throw layerError(place(last), `the network ends in ${last.output[0]} values but the data has ${classes} classes`);
  }
}
