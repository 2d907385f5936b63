import { type NameSetting, SettingError } from '../util/errors.js';
import type { ConvDims } from './conv2d.js';

export interface ConvOptions {
  readonly filters: number;
  readonly kernelHeight: number;
  readonly kernelWidth: number;
  readonly stride: number;
}

/** What a user chooses about the network; the rest (image size, classes) comes from the data. */
export interface ModelOptions {
  readonly conv1: ConvOptions;
  readonly conv2: ConvOptions;
}

/** The seed's network: conv 16 8x8 stride 1 -> ReLU -> conv 8 4x4 stride 2 -> ReLU -> dense -> softmax. */
export const SEED_MODEL: ModelOptions = {
  conv1: { filters: 16, kernelHeight: 8, kernelWidth: 8, stride: 1 },
  conv2: { filters: 8, kernelHeight: 4, kernelWidth: 4, stride: 2 },
};

/** The same choices by setting name, as options and messages name them; a kernel is [height, width]. */
export interface ModelSettings {
  readonly filters1: number;
  readonly kernel1: readonly [number, number];
  readonly stride1: number;
  readonly filters2: number;
  readonly kernel2: readonly [number, number];
  readonly stride2: number;
}

export type ModelSetting = keyof ModelSettings;
export const MODEL_SETTINGS: readonly ModelSetting[] = ['filters1', 'kernel1', 'stride1', 'filters2', 'kernel2', 'stride2'];

function modelSettingsOf(m: ModelOptions): ModelSettings {
  const { conv1: c1, conv2: c2 } = m;
  return {
    filters1: c1.filters,
    kernel1: [c1.kernelHeight, c1.kernelWidth],
    stride1: c1.stride,
    filters2: c2.filters,
    kernel2: [c2.kernelHeight, c2.kernelWidth],
    stride2: c2.stride,
  };
}

/** A setting's value as messages show it: a kernel as HxW. */
export function showSetting(value: unknown): string {
  return Array.isArray(value) ? value.join('x') : String(value);
}

/** The first setting in `given` that `model` does not have, or null when all agree. */
export function modelDisagreement(given: Partial<ModelSettings>, model: ModelOptions): { setting: ModelSetting; given: string; own: string } | null {
  const own = modelSettingsOf(model);
  for (const setting of Object.keys(own) as ModelSetting[]) {
    const value = given[setting];
    if (value !== undefined && showSetting(value) !== showSetting(own[setting])) return { setting, given: showSetting(value), own: showSetting(own[setting]) };
  }
  return null;
}

/** "conv 16 8x8 stride 1, conv 8 4x4 stride 2" */
export function describeModel(m: ModelOptions): string {
  const c = (o: ConvOptions) => `${o.filters} ${o.kernelHeight}x${o.kernelWidth} stride ${o.stride}`;
  return `conv ${c(m.conv1)}, conv ${c(m.conv2)}`;
}

export interface ModelConfig extends ModelOptions {
  readonly imageHeight: number;
  readonly imageWidth: number;
  readonly classes: number;
}

/** Every size the kernels need, derived once from a configuration. */
export interface ModelDims {
  readonly conv1: ConvDims;
  readonly conv2: ConvDims;
  /** Inputs of the dense layer: conv2's output flattened as (channel, row, column). */
  readonly denseIn: number;
  readonly classes: number;
  /** Multiply-adds of one sample's forward and backward pass (no gradient for the image). */
  readonly multiplyAddsPerSample: number;
}

function convDims(C: number, H: number, W: number, o: ConvOptions): ConvDims {
  const OH = Math.floor((H - o.kernelHeight) / o.stride) + 1;
  const OW = Math.floor((W - o.kernelWidth) / o.stride) + 1;
  return { C, H, W, F: o.filters, KH: o.kernelHeight, KW: o.kernelWidth, stride: o.stride, OH, OW };
}

/** A model option that is not usable or does not fit the images; `setting` is the option ('kernel1'). */
export class ModelConfigError extends SettingError {
  constructor(setting: ModelSetting | 'imageHeight' | 'imageWidth' | 'classes', sentence: (name: NameSetting) => string) {
    super(setting, sentence);
    this.name = 'ModelConfigError';
  }
}

function checkPositiveInt(value: number, setting: ModelSetting | 'imageHeight' | 'imageWidth'): void {
  if (!Number.isInteger(value) || value < 1) throw new ModelConfigError(setting, (name) => `${name(setting)} must be a positive integer, got ${value}`);
}

/** Derives the layer sizes, or says in one line which option does not fit the images. */
export function deriveDims(config: ModelConfig): ModelDims {
  const layers: [ConvOptions, '1' | '2'][] = [
    [config.conv1, '1'],
    [config.conv2, '2'],
  ];
  for (const [o, n] of layers) {
    checkPositiveInt(o.filters, `filters${n}`);
    checkPositiveInt(o.kernelHeight, `kernel${n}`);
    checkPositiveInt(o.kernelWidth, `kernel${n}`);
    checkPositiveInt(o.stride, `stride${n}`);
  }
  checkPositiveInt(config.imageHeight, 'imageHeight');
  checkPositiveInt(config.imageWidth, 'imageWidth');
  if (!Number.isInteger(config.classes) || config.classes < 2) {
    throw new ModelConfigError('classes', () => `the labels name ${config.classes} class(es); training needs at least 2`);
  }
  const { conv1: c1, conv2: c2 } = config;
  const images = `${config.imageHeight}x${config.imageWidth} images`;
  if (c1.kernelHeight > config.imageHeight || c1.kernelWidth > config.imageWidth) {
    throw new ModelConfigError('kernel1', (name) => `${name('kernel1')} ${c1.kernelHeight}x${c1.kernelWidth} does not fit the ${images}`);
  }
  const conv1 = convDims(1, config.imageHeight, config.imageWidth, c1);
  if (c2.kernelHeight > conv1.OH || c2.kernelWidth > conv1.OW) {
    throw new ModelConfigError(
      'kernel2',
      (name) =>
        `${name('kernel2')} ${c2.kernelHeight}x${c2.kernelWidth} does not fit conv1's ${conv1.OH}x${conv1.OW} output ` +
        `(${images}, ${name('kernel1')} ${c1.kernelHeight}x${c1.kernelWidth}, ${name('stride1')} ${c1.stride})`,
    );
  }
  const conv2 = convDims(c1.filters, conv1.OH, conv1.OW, c2);
  const denseIn = conv2.F * conv2.OH * conv2.OW;
  const conv1Macs = conv1.F * conv1.OH * conv1.OW * conv1.C * conv1.KH * conv1.KW;
  const conv2Macs = conv2.F * conv2.OH * conv2.OW * conv2.C * conv2.KH * conv2.KW;
  const denseMacs = denseIn * config.classes;
  // Forward, then backward: conv1 weights; conv2 weights and input; dense weights and input.
  const multiplyAddsPerSample = 2 * conv1Macs + 3 * conv2Macs + 3 * denseMacs;
  return { conv1, conv2, denseIn, classes: config.classes, multiplyAddsPerSample };
}
