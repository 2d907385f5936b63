import { UserError } from '../util/errors.js';
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

function checkPositiveInt(value: number, flag: string): void {
  if (!Number.isInteger(value) || value < 1) throw new UserError(`${flag} must be a positive integer, got ${value}`);
}

/** Derives the layer sizes, or says in one line which option does not fit the images. */
export function deriveDims(config: ModelConfig): ModelDims {
  const layers: [ConvOptions, string][] = [
    [config.conv1, '1'],
    [config.conv2, '2'],
  ];
  for (const [o, n] of layers) {
    checkPositiveInt(o.filters, `--filters${n}`);
    checkPositiveInt(o.kernelHeight, `--kernel${n}`);
    checkPositiveInt(o.kernelWidth, `--kernel${n}`);
    checkPositiveInt(o.stride, `--stride${n}`);
  }
  checkPositiveInt(config.imageHeight, 'image height');
  checkPositiveInt(config.imageWidth, 'image width');
  if (!Number.isInteger(config.classes) || config.classes < 2) {
    throw new UserError(`the labels name ${config.classes} class(es); training needs at least 2`);
  }
  const { conv1: c1, conv2: c2 } = config;
  if (c1.kernelHeight > config.imageHeight || c1.kernelWidth > config.imageWidth) {
    throw new UserError(
      `--kernel1 ${c1.kernelHeight}x${c1.kernelWidth} does not fit the ${config.imageHeight}x${config.imageWidth} images`,
    );
  }
  const conv1 = convDims(1, config.imageHeight, config.imageWidth, c1);
  if (c2.kernelHeight > conv1.OH || c2.kernelWidth > conv1.OW) {
    throw new UserError(
      `--kernel2 ${c2.kernelHeight}x${c2.kernelWidth} does not fit conv1's ${conv1.OH}x${conv1.OW} output ` +
        `(${config.imageHeight}x${config.imageWidth} images, --kernel1 ${c1.kernelHeight}x${c1.kernelWidth}, --stride1 ${c1.stride})`,
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
