import { deriveDims, type ModelConfig, type ModelOptions } from './config.js';
import type { FloatArray } from './float-array.js';
import { initParameters, type NormalSource } from './init.js';
import { parameterLayout, seedSlotLayout } from './parameters.js';
import type { SlotLayout } from './slot-layout.js';
import { completeSpec, type DataShape, deriveStackDims, initStackParameters, type LayerList, type NetworkSpec, sequentialLayout, stackSlotLayout, type Summary, summarize, formatCompact } from './stack/index.js';
import { convSpec } from './stack/spec.js';
import { SettingError } from '../util/errors.js';

/**
 * Which network a run trains, before the data is known: the article's (the `seed` network, with
 * its own fast kernels, initialisation and file names, sized by its conv flags) or any layer
 * stack. Plain data, so that checkpoints can record it.
 */
export type ModelChoice = { readonly kind: 'seed'; readonly options: ModelOptions } | { readonly kind: 'stack'; readonly layers: LayerList };

/** The network made for the data at hand: plain data too, posted to every pool thread. */
export type Model = { readonly kind: 'seed'; readonly config: ModelConfig } | { readonly kind: 'stack'; readonly spec: NetworkSpec };

/** One named tensor of the flat parameter buffer. */
export interface ModelTensor {
  readonly name: string;
  readonly offset: number;
  readonly length: number;
  readonly shape: readonly number[];
}

/** What the run needs to know of a model's parameters and work, whichever kind it is. */
export interface ModelShape {
  readonly tensors: readonly ModelTensor[];
  /** Parameters in all: the length of the flat buffer. */
  readonly total: number;
  /** How a sample's gradient sits in its slot (a dense weight as its two factors). */
  readonly slots: SlotLayout;
  /** Multiply-adds of one sample's forward and backward pass, for GFLOP/s. */
  readonly multiplyAddsPerSample: number;
}

/** The seed network reads one gray value per pixel. */
export class GrayOnly extends SettingError {
  constructor(readonly channels: number) {
    super('model', (name) => `the images have ${channels} channels and the seed network takes gray images: describe a network for them with ${name('model')}`);
    this.name = 'GrayOnly';
  }
}

/** The model for this data; throws a SettingError or ModelSpecError when it does not fit. */
export function buildModel(choice: ModelChoice, data: DataShape): Model {
  if (choice.kind === 'stack') {
    const spec = completeSpec(choice.layers, data);
    deriveStackDims(spec);
    return { kind: 'stack', spec };
  }
  if (data.input[0] !== 1) throw new GrayOnly(data.input[0]);
  const config: ModelConfig = { ...choice.options, imageHeight: data.input[1], imageWidth: data.input[2], classes: data.classes };
  deriveDims(config);
  return { kind: 'seed', config };
}

export function modelShape(model: Model): ModelShape {
  if (model.kind === 'seed') {
    const dims = deriveDims(model.config);
    const { tensors, total } = parameterLayout(dims);
    return { tensors, total, slots: seedSlotLayout({ tensors, total }), multiplyAddsPerSample: dims.multiplyAddsPerSample };
  }
  const dims = deriveStackDims(model.spec);
  const { tensors, total } = sequentialLayout(dims);
  return { tensors, total, slots: stackSlotLayout(dims, { tensors, total }), multiplyAddsPerSample: dims.multiplyAddsPerSample };
}

/** The initial parameters: the seed's own scheme for the seed, He or Glorot per layer otherwise. */
export function initModel(model: Model, params: FloatArray, rng: NormalSource): void {
  if (model.kind === 'seed') {
    const dims = deriveDims(model.config);
    initParameters(params, parameterLayout(dims), dims, rng);
  } else {
    const dims = deriveStackDims(model.spec);
    initStackParameters(params, sequentialLayout(dims), dims, rng);
  }
}

export function modelClasses(model: Model): number {
  return model.kind === 'seed' ? model.config.classes : model.spec.classes;
}

/** The seed's network written as the layer stack it is (same function, same flat parameter order). */
export function seedAsStack(config: ModelConfig): NetworkSpec {
  const conv = (c: ModelConfig['conv1']) => convSpec(c.filters, [c.kernelHeight, c.kernelWidth], [c.stride, c.stride]);
  const layers = [conv(config.conv1), { type: 'relu' }, conv(config.conv2), { type: 'relu' }, { type: 'flatten' }, { type: 'dense', out: config.classes }] as const;
  return { input: [1, config.imageHeight, config.imageWidth], classes: config.classes, layers };
}

/** The Keras-like table of any model: each layer's output shape, parameters and multiply-adds. */
export function modelSummary(model: Model): Summary {
  return summarize(deriveStackDims(model.kind === 'seed' ? seedAsStack(model.config) : model.spec));
}

/** The model in one line: the compact form of its layers, marked when it is the seed network. */
export function describeModelLayers(model: Model): string {
  return model.kind === 'seed' ? `seed (${formatCompact(seedAsStack(model.config).layers)})` : formatCompact(model.spec.layers);
}
