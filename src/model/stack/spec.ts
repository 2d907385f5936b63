/**
 * A network described as data, in the JSON form of ../shared/golden/general/ (key `spec`):
 *
 *   {"input": [1,28,28], "classes": 10, "layers": [
 *     {"type": "conv", "out": 16, "kernel": [8,8], "stride": [2,2], "padding": [3,3]},
 *     {"type": "relu"}, {"type": "maxpool", "kernel": [2,2], "stride": [1,1]},
 *     {"type": "flatten"}, {"type": "dense", "out": 10}]}
 *
 * Each layer means what its torch.nn counterpart means (Conv2d, MaxPool2d in floor mode without
 * padding, ReLU, Tanh, Flatten in channel, row, column order, Linear), so that the same list built
 * as an nn.Sequential computes the same function; sizes are (height, width) pairs.
 */

/** (height, width): of a kernel, a stride or a padding. */
export type Pair = readonly [number, number];

export interface ConvSpec {
  readonly type: 'conv';
  /** Output channels. */
  readonly out: number;
  readonly kernel: Pair;
  readonly stride: Pair;
  /** Zeros added on both sides of each axis. */
  readonly padding: Pair;
}

export interface MaxpoolSpec {
  readonly type: 'maxpool';
  readonly kernel: Pair;
  readonly stride: Pair;
}

export interface DenseSpec {
  readonly type: 'dense';
  readonly out: number;
}

export interface ActivationSpec {
  readonly type: 'relu' | 'tanh';
}

export interface FlattenSpec {
  readonly type: 'flatten';
}

export type LayerSpec = ConvSpec | MaxpoolSpec | DenseSpec | ActivationSpec | FlattenSpec;
export type LayerType = LayerSpec['type'];
export const LAYER_TYPES: readonly LayerType[] = ['conv', 'maxpool', 'relu', 'tanh', 'flatten', 'dense'];

/** (channels, height, width) of an image. */
export type ImageShape = readonly [number, number, number];

/** A network ready to build: every size is known. */
export interface NetworkSpec {
  readonly input: ImageShape;
  readonly classes: number;
  readonly layers: readonly LayerSpec[];
}

/** A dense layer whose width is not given yet: the last one, whose width is the class count. */
export interface OpenDenseSpec {
  readonly type: 'dense';
  readonly out?: undefined;
}

export type ListedLayer = LayerSpec | OpenDenseSpec;

/**
 * What a user wrote, before the data is known: the layers, and the input shape and class count
 * only if the description names them (JSON may; the compact form and the presets never do).
 * `completeSpec` (./complete.ts) turns it into a NetworkSpec for the data at hand.
 */
export interface LayerList {
  readonly input?: ImageShape;
  readonly classes?: number;
  readonly layers: readonly ListedLayer[];
}

/** PyTorch's defaults: a convolution steps by 1, a pool by its own size; no padding. */
export function convSpec(out: number, kernel: Pair, stride: Pair = [1, 1], padding: Pair = [0, 0]): ConvSpec {
  return { type: 'conv', out, kernel, stride, padding };
}

export function maxpoolSpec(kernel: Pair, stride: Pair = kernel): MaxpoolSpec {
  return { type: 'maxpool', kernel, stride };
}

