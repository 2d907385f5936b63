/**
 * Reads the seed network's weights into its flat parameter layout (model/parameters.ts), whoever wrote them:
 * `train --save` (the six arrays plus configuration arrays), the seed's numpy program, or PyTorch
 * (np.savez of the state dict in the seed's names; kern may keep Conv2d's (F,1,KH,KW) shape and w
 * Linear's flat (classes, D) shape). Arrays other than the seed's six and the four configuration
 * arrays are ignored, so a file that also carries images or gradients still loads.
 *
 * A layer stack's weights are stack-weights.ts's; saved-network.ts tells the two apart.
 * Every problem is one UserError line naming the file and, where there is one, the array.
 */
import { dirname } from 'node:path';
import { openNpz, type NpzArchive } from '../data/npz.js';
import type { NpyArray, NpyDtype } from '../data/npy.js';
import { deriveDims, SEED_MODEL, type ModelConfig, type ModelOptions } from '../model/config.js';
import { allocFloat, type Dtype, type FloatArray } from '../model/float-array.js';
import { PARAMETER_NAMES, type ParameterName } from '../model/parameters.js';
import { type NameSetting, SettingError, settingInWords, UserError } from '../util/errors.js';
import { checkStoredConfig, readStoredConfig, type StoredConfig } from './weights-config-arrays.js';
import { inferFromShapes, shapeText, type ShapeFacts } from './weights-shapes.js';

export interface LoadWeightsOptions {
  /** Compute in this precision instead of the file's. */
  readonly dtype?: Dtype;
  /**
   * Strides for a file without configuration arrays (default: the seed's 1 and 2). A file's own
   * conv1/conv2 arrays decide; a stride given here that contradicts them is refused.
   */
  readonly stride1?: number;
  readonly stride2?: number;
  /** (height, width) of the images the network will see: completes or checks the configuration. */
  readonly imageSize?: readonly [number, number];
  /** Names those images in messages, e.g. "the test images of data.npz". */
  readonly imagesName?: string;
}

/** 'mixed' when the arrays do not all have one dtype (computed in float64 then, losing nothing). */
export type StoredDtype = 'float16' | 'float32' | 'float64' | 'mixed';

/** Image heights and widths (inclusive ranges) that give w's spatial shape with the strides in use. */
export interface FittingImageSizes {
  readonly heights: readonly [number, number];
  readonly widths: readonly [number, number];
}

export interface WeightsFile {
  readonly path: string;
  /** The precision to compute in: options.dtype, else the file's. */
  readonly dtype: Dtype;
  readonly storedDtype: StoredDtype;
  /** kern, kb, kern2, kb2, w, b in that order, each in C order: the flat layout for any image size. */
  readonly params: FloatArray;
  /** Whether the configuration came from the file's arrays or was inferred from the shapes. */
  readonly configSource: 'config arrays' | 'shapes';
  readonly model: ModelOptions;
  readonly classes: number;
  /** From image_shape; undefined when the file has no configuration arrays. */
  readonly imageSize: readonly [number, number] | undefined;
  /** Undefined when w is stored flat, which leaves only its product to check. */
  readonly fittingImageSizes: FittingImageSizes | undefined;
  /** The network for images of this size, or a UserError naming the file and the mismatch. */
  configFor(imageHeight: number, imageWidth: number, imagesName?: string): ModelConfig;
}

export interface LoadedWeights extends WeightsFile {
  readonly config: ModelConfig;
}

/** Reads and checks a weights file; the configuration is complete once an image size is known. */
export async function readWeightsFile(path: string, options: LoadWeightsOptions = {}): Promise<WeightsFile> {
  return readSeedWeights(await openNpz(path), options);
}

/** readWeightsFile on an archive already open (to tell the seed's weights from a layer stack's first). */
export async function readSeedWeights(archive: NpzArchive, options: LoadWeightsOptions = {}): Promise<WeightsFile> {
  const path = archive.path;
  const arrays = await readParameterArrays(archive);
  const facts = inferFromShapes(path, arrays);
  const stored = await readStoredConfig(archive);
  if (stored) {
    checkStoredConfig(path, stored, facts);
    checkStridesAgree(path, stored, options);
  }
  const model: ModelOptions = {
    conv1: { ...facts.conv1, stride: stored?.conv1.stride ?? options.stride1 ?? SEED_MODEL.conv1.stride },
    conv2: { ...facts.conv2, stride: stored?.conv2.stride ?? options.stride2 ?? SEED_MODEL.conv2.stride },
  };
  const kinds = new Set(PARAMETER_NAMES.map((n) => arrays[n].dtype));
  const storedDtype = storedDtypeOf(kinds);
  const dtype = options.dtype ?? defaultDtypeOf(kinds);
  const params = flatten(path, arrays, dtype);
  const imageSize = stored ? ([stored.imageHeight, stored.imageWidth] as const) : undefined;
  const configFor = (h: number, w: number, imagesName = 'the images'): ModelConfig => {
    if (imageSize && (imageSize[0] !== h || imageSize[1] !== w)) {
      throw new UserError(`${path}: the weights are for ${imageSize[0]}x${imageSize[1]} images (array 'image_shape') but ${imagesName} are ${h}x${w}`);
    }
    if (stored) return networkFor(path, facts, model, h, w, "its array 'image_shape'", false);
    return networkFor(path, facts, model, h, w, imagesName, true);
  };
  if (imageSize) configFor(imageSize[0], imageSize[1]); // a file whose w disagrees with its own image_shape is refused now
  return {
    path,
    dtype,
    storedDtype,
    params,
    configSource: stored ? 'config arrays' : 'shapes',
    model,
    classes: facts.classes,
    imageSize,
    fittingImageSizes: fittingSizes(facts, model),
    configFor,
  };
}

/**
 * Reads a weights file (or an archive already open: a pipe cannot be read twice) for images of a
 * known size (`options.imageSize`; a file with configuration arrays knows its own). This is what a
 * command with data in hand calls.
 */
export async function loadWeights(source: string | NpzArchive, options: LoadWeightsOptions = {}): Promise<LoadedWeights> {
  const file = typeof source === 'string' ? await readWeightsFile(source, options) : await readSeedWeights(source, options);
  const path = typeof source === 'string' ? source : source.path;
  const size = options.imageSize ?? file.imageSize;
  if (!size) throw new UserError(`${path}: the file stores no image size (no 'image_shape' array) and none was given`);
  return { ...file, config: file.configFor(size[0], size[1], options.imagesName) };
}

export const NUMPY_NAMES: Record<NpyDtype, string> = {
  u1: 'uint8', i1: 'int8', u2: 'uint16', i2: 'int16', u4: 'uint32', i4: 'int32', u8: 'uint64', i8: 'int64',
  f2: 'float16', f4: 'float32', f8: 'float64', b1: 'bool',
};

async function readParameterArrays(archive: NpzArchive): Promise<Record<ParameterName, NpyArray>> {
  const { path, keys } = archive;
  if (keys.length === 0) {
    throw new UserError(`${path}: holds no arrays; weights are an .npz of kern, kb, kern2, kb2, w, b, or a layer stack's state_dict and 'architecture' (PyTorch's exported with np.savez)`);
  }
  const missing = PARAMETER_NAMES.filter((n) => !keys.includes(n));
  if (missing.length > 0 && keys.includes('params') && keys.includes('meta')) {
    throw new UserError(`${path}: a training checkpoint, not a weights file; write its weights with 'shardtrain train --resume ${dirname(path)} --save FILE'`);
  }
  if (missing.length > 0) {
    throw new UserError(`${path}: no array ${missing.map((n) => `'${n}'`).join(', ')}; weights need kern, kb, kern2, kb2, w, b, or a layer stack's tensors (0.weight, ...) and 'architecture' (arrays found: ${keys.join(', ')})`);
  }
  const arrays = {} as Record<ParameterName, NpyArray>;
  for (const name of PARAMETER_NAMES) {
    const a = await archive.read(name);
    if (a.dtype !== 'f2' && a.dtype !== 'f4' && a.dtype !== 'f8') {
      throw new UserError(`${path}: array '${name}' has dtype ${NUMPY_NAMES[a.dtype]}; weights must be float16, float32 or float64`);
    }
    checkFinite(path, name, a.data as Float32Array | Float64Array, a.shape);
    arrays[name] = a;
  }
  return arrays;
}

function checkFinite(path: string, name: string, data: Float32Array | Float64Array, shape: readonly number[]): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new UserError(`${path}: array '${name}' holds ${data[i]} at ${indexText(i, shape)}`);
  }
}

/** Finite float64 values beyond float32's range become Infinity when rounded: a matter of the dtype chosen. */
function checkFiniteAsFloat32(path: string, name: string, data: Float32Array, shape: readonly number[]): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new SettingError('dtype', (setting) => `${path}: array '${name}' holds ${data[i]} at ${indexText(i, shape)} after rounding to float32 (compute with ${setting('dtype')} float64)`);
    }
  }
}

/** Flat index -> "(3, 2, 0, 1)", so the user can find the value with numpy. */
function indexText(flat: number, shape: readonly number[]): string {
  const index: number[] = [];
  for (let k = shape.length - 1; k >= 0; k--) {
    index.unshift(flat % shape[k]);
    flat = Math.floor(flat / shape[k]);
  }
  return shapeText(index);
}

/** The dtype a file's tensors are stored in, or 'mixed' when they differ. */
export function storedDtypeOf(kinds: ReadonlySet<NpyDtype>): StoredDtype {
  if (kinds.size > 1) return 'mixed';
  return ({ f2: 'float16', f4: 'float32', f8: 'float64' } as const)[[...kinds][0] as 'f2' | 'f4' | 'f8'];
}

/** The precision weights compute in unless told: float64 when any tensor is stored in it, else float32 (float16 widened). */
export function defaultDtypeOf(kinds: ReadonlySet<NpyDtype>): Dtype {
  return kinds.has('f8') ? 'float64' : 'float32';
}

function flatten(path: string, arrays: Record<ParameterName, NpyArray>, dtype: Dtype): FloatArray {
  const total = PARAMETER_NAMES.reduce((n, name) => n + arrays[name].data.length, 0);
  const params = allocFloat(dtype, total);
  let offset = 0;
  for (const name of PARAMETER_NAMES) {
    const data = arrays[name].data as Float32Array | Float64Array;
    const view = params.subarray(offset, offset + data.length);
    view.set(data);
    if (dtype === 'float32' && arrays[name].dtype === 'f8') checkFiniteAsFloat32(path, name, view as Float32Array, arrays[name].shape);
    offset += data.length;
  }
  return params;
}

function checkStridesAgree(path: string, stored: StoredConfig, options: LoadWeightsOptions): void {
  const pairs: [number | undefined, number, 'stride1' | 'stride2', string][] = [
    [options.stride1, stored.conv1.stride, 'stride1', 'conv1'],
    [options.stride2, stored.conv2.stride, 'stride2', 'conv2'],
  ];
  for (const [given, own, setting, array] of pairs) {
    if (given !== undefined && given !== own) {
      throw new SettingError(setting, (name) => `${path}: ${name(setting)} ${given} contradicts the file's array '${array}' (stride ${own}); the file's configuration decides, so leave ${name(setting)} out`);
    }
  }
}

/**
 * Builds the configuration for h x w images and checks that w's shape is what it gives. `subject`
 * names where the size came from: the file's image_shape, or the images at hand; when the strides
 * were guessed (`stridesGuessed`), a w that does not fit may mean other strides.
 */
function networkFor(path: string, facts: ShapeFacts, model: ModelOptions, h: number, w: number, subject: string, stridesGuessed: boolean): ModelConfig {
  const { conv1: c1, conv2: c2 } = model;
  if (c1.kernelHeight > h || c1.kernelWidth > w) {
    throw new UserError(`${path}: array 'kern' holds ${c1.kernelHeight}x${c1.kernelWidth} kernels, larger than ${subject} (${h}x${w})`);
  }
  const oh1 = outSize(h, c1.kernelHeight, c1.stride);
  const ow1 = outSize(w, c1.kernelWidth, c1.stride);
  if (c2.kernelHeight > oh1 || c2.kernelWidth > ow1) {
    throw new UserError(`${path}: array 'kern2' holds ${c2.kernelHeight}x${c2.kernelWidth} kernels, larger than conv1's ${oh1}x${ow1} output on ${subject} (${h}x${w}, stride ${c1.stride})`);
  }
  const oh2 = outSize(oh1, c2.kernelHeight, c2.stride);
  const ow2 = outSize(ow1, c2.kernelWidth, c2.stride);
  const fits = facts.denseSpatial ? facts.denseSpatial[0] === oh2 && facts.denseSpatial[1] === ow2 : facts.denseIn === c2.filters * oh2 * ow2;
  if (!fits) {
    const needed = facts.denseSpatial ? [facts.classes, c2.filters, oh2, ow2] : [facts.classes, c2.filters * oh2 * ow2];
    const actual = facts.denseSpatial ? [facts.classes, c2.filters, ...facts.denseSpatial] : [facts.classes, facts.denseIn];
    const sentence = (name: NameSetting) =>
      `${path}: array 'w' has shape ${shapeText(actual)}, but ${subject} (${h}x${w}) with strides ${c1.stride} and ${c2.stride} ` +
      `give conv1 output ${oh1}x${ow1} and conv2 output ${oh2}x${ow2}, so w must be ${shapeText(needed)}` +
      (stridesGuessed ? `; the weights were trained on another image size or with other strides (${name('stride1')}, ${name('stride2')})` : '');
    throw stridesGuessed ? new SettingError('stride1', sentence) : new UserError(sentence(settingInWords));
  }
  const config: ModelConfig = { ...model, imageHeight: h, imageWidth: w, classes: facts.classes };
  deriveDims(config);
  return config;
}

function outSize(input: number, kernel: number, stride: number): number {
  return Math.floor((input - kernel) / stride) + 1;
}

/** The inputs of one dimension that give `out` outputs through two convolutions: a contiguous range. */
function inputRange(out: number, k1: number, s1: number, k2: number, s2: number): [number, number] {
  const mid = [(out - 1) * s2 + k2, (out - 1) * s2 + k2 + s2 - 1];
  return [(mid[0] - 1) * s1 + k1, (mid[1] - 1) * s1 + k1 + s1 - 1];
}

function fittingSizes(facts: ShapeFacts, model: ModelOptions): FittingImageSizes | undefined {
  if (!facts.denseSpatial) return undefined;
  const { conv1: c1, conv2: c2 } = model;
  return {
    heights: inputRange(facts.denseSpatial[0], c1.kernelHeight, c1.stride, c2.kernelHeight, c2.stride),
    widths: inputRange(facts.denseSpatial[1], c1.kernelWidth, c1.stride, c2.kernelWidth, c2.stride),
  };
}
