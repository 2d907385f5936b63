/**
 * The configuration arrays `train --save` writes beside the weights (io/weights-file.ts):
 * image_shape (H, W), classes (), conv1 and conv2 (filters, kernel_h, kernel_w, stride), int32.
 * When a file has them they decide the network, and they must agree with the weights' shapes.
 */
import type { NpzArchive } from '../data/npz.js';
import type { ConvOptions } from '../model/config.js';
import { UserError } from '../util/errors.js';
import { shapeText, type KernelShape, type ShapeFacts } from './weights-shapes.js';

export const CONFIG_ARRAY_NAMES = ['image_shape', 'classes', 'conv1', 'conv2'] as const;
type ConfigArrayName = (typeof CONFIG_ARRAY_NAMES)[number];

export interface StoredConfig {
  readonly imageHeight: number;
  readonly imageWidth: number;
  readonly classes: number;
  readonly conv1: ConvOptions;
  readonly conv2: ConvOptions;
}

const EXPECTED_SHAPES: Record<ConfigArrayName, string> = {
  image_shape: '(2,) holding height, width',
  classes: '() holding the class count',
  conv1: '(4,) holding filters, kernel_h, kernel_w, stride',
  conv2: '(4,) holding filters, kernel_h, kernel_w, stride',
};

/** The stored configuration, or undefined when the file has none of the four arrays. */
export async function readStoredConfig(archive: NpzArchive): Promise<StoredConfig | undefined> {
  const path = archive.path;
  const present = CONFIG_ARRAY_NAMES.filter((n) => archive.keys.includes(n));
  if (present.length === 0) return undefined;
  if (present.length < CONFIG_ARRAY_NAMES.length) {
    const missing = CONFIG_ARRAY_NAMES.filter((n) => !present.includes(n));
    throw new UserError(`${path}: has configuration array(s) ${present.join(', ')} but not ${missing.join(', ')} (train --save writes all four)`);
  }
  const values = {} as Record<ConfigArrayName, number[]>;
  for (const name of CONFIG_ARRAY_NAMES) {
    const fail = (problem: string): never => {
      throw new UserError(`${path}: array '${name}' ${problem}; expected integers of shape ${EXPECTED_SHAPES[name]}`);
    };
    const a = await archive.read(name);
    if (!/^[iu]\d$/.test(a.dtype)) fail(`has dtype ${a.dtype}`);
    const length = name === 'image_shape' ? 2 : name === 'classes' ? 1 : 4;
    const shapeOk = name === 'classes' ? a.shape.length === 0 || (a.shape.length === 1 && a.shape[0] === 1) : a.shape.length === 1 && a.shape[0] === length;
    if (!shapeOk) fail(`has shape ${shapeText(a.shape)}`);
    const numbers = Array.from(a.data as ArrayLike<number | bigint>, (v) => Number(v));
    if (numbers.some((v) => !Number.isSafeInteger(v) || v < 1)) fail(`holds ${numbers.join(', ')}, not positive integers`);
    values[name] = numbers;
  }
  const conv = ([filters, kernelHeight, kernelWidth, stride]: number[]): ConvOptions => ({ filters, kernelHeight, kernelWidth, stride });
  return {
    imageHeight: values.image_shape[0],
    imageWidth: values.image_shape[1],
    classes: values.classes[0],
    conv1: conv(values.conv1),
    conv2: conv(values.conv2),
  };
}

/** The configuration arrays and the weights' shapes must describe the same network. */
export function checkStoredConfig(path: string, stored: StoredConfig, facts: ShapeFacts): void {
  const sameKernel = (c: ConvOptions, k: KernelShape) => c.filters === k.filters && c.kernelHeight === k.kernelHeight && c.kernelWidth === k.kernelWidth;
  const describe = (k: KernelShape) => `${k.filters} filters of ${k.kernelHeight}x${k.kernelWidth}`;
  if (!sameKernel(stored.conv1, facts.conv1)) {
    throw new UserError(`${path}: array 'conv1' says ${describe(stored.conv1)} but array 'kern' holds ${describe(facts.conv1)}`);
  }
  if (!sameKernel(stored.conv2, facts.conv2)) {
    throw new UserError(`${path}: array 'conv2' says ${describe(stored.conv2)} but array 'kern2' holds ${describe(facts.conv2)}`);
  }
  if (stored.classes !== facts.classes) {
    throw new UserError(`${path}: array 'classes' says ${stored.classes} but array 'b' has ${facts.classes} classes`);
  }
}
