/**
 * One split's image array, as read from a file, checked and put into shared memory as (N,C,H,W):
 * which shapes are images, and which pixel values are.
 */
import { SettingError, UserError } from '../util/errors.js';
import { type ChannelsLayout, toShared } from './dataset.js';
import { channelsLastToFirst, channelsReading, type ImageShape, pixelPosition } from './image-layout.js';
import { exactNumber, type NpyData, type NpyDtype } from './npy.js';

/** One array as read, before it is checked: `file` and `key` (absent for IDX files) name it in messages. */
export interface RawArray {
  file: string;
  key?: string;
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

/** What the user chose about the images' shape and values; each is optional. */
export interface ImageOptions {
  pixelDivisor?: number;
  imageSize?: [number, number];
  channelsLayout?: ChannelsLayout;
}

export function whereOf(a: { file: string; key?: string }): string {
  return a.key === undefined ? a.file : `${a.file}: key '${a.key}'`;
}

/**
 * (N,H,W) is gray; (N,H,W,C) and (N,C,H,W) are told apart by image-layout.ts's rule; flat (N,D)
 * images are gray and need the user's H and W.
 */
export function imageShapeOf(a: RawArray, options: ImageOptions, split: string): ImageShape {
  const fail = (problem: string): never => {
    throw new UserError(`${whereOf(a)}: ${problem}`);
  };
  const s = a.shape;
  const shapeText = `(${s.join(', ')})`;
  const layout = options.channelsLayout;
  if (layout !== undefined && s.length !== 4) {
    throw new SettingError(
      'channelsLayout',
      (name) => `${whereOf(a)}: images of shape ${shapeText} have no channel axis, so ${name('channelsLayout')} ${layout} would do nothing; leave it out`,
    );
  }
  let shape: ImageShape;
  if (s.length === 3) shape = { count: s[0], channels: 1, height: s[1], width: s[2], channelsLast: false };
  else if (s.length === 4) shape = channelsReading(s, layout, whereOf(a));
  else if (s.length === 2) {
    const given = options.imageSize;
    if (!given) throw new SettingError('imageSize', (name) => `${whereOf(a)}: flat images of shape ${shapeText} need ${name('imageSize')} HxW (with H*W = ${s[1]})`);
    if (given[0] * given[1] !== s[1]) return fail(`image size ${given[0]}x${given[1]} does not fit flat images of shape ${shapeText} (${given[0] * given[1]} != ${s[1]})`);
    shape = { count: s[0], channels: 1, height: given[0], width: given[1], channelsLast: false };
  } else return fail(`images must have shape (N, H, W), (N, H, W, C), (N, C, H, W) or (N, D), not ${shapeText}`);
  const given = options.imageSize;
  if (given && s.length !== 2) {
    throw new SettingError('imageSize', (name) => `${whereOf(a)}: images of shape ${shapeText} are not flat, so ${name('imageSize')} ${given[0]}x${given[1]} would do nothing; leave it out`);
  }
  if (shape.count === 0) fail(`no images: the ${split} set is empty (shape ${shapeText})`);
  if (shape.height === 0 || shape.width === 0) fail(`images of ${shape.height}x${shape.width} pixels are empty (shape ${shapeText})`);
  if (shape.channels === 0) fail(`images of 0 channels are empty (shape ${shapeText})`);
  return shape;
}

type Pixels = Uint8Array | Float32Array | Float64Array;

/**
 * Bytes stay bytes (divisor 255); floats stay floats and must be finite, and in [0,1] unless a
 * divisor says otherwise. Every channel is checked, at its position in the file. The result is
 * (N,C,H,W) in shared memory.
 */
export function toPixels(a: RawArray, options: ImageOptions, shape: ImageShape): { pixels: Pixels; divisor: number } {
  const given = options.pixelDivisor;
  const data = a.data;
  const at = (i: number) => pixelPosition(i, shape);
  // One gray channel last is already (N,1,H,W) in memory; only real channels need reordering.
  const reorder = shape.channelsLast && shape.channels > 1;
  const placed = <T extends Pixels>(values: T): T => {
    if (!reorder) return inShared(values);
    const Ctor = values.constructor as { new (buffer: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number };
    return channelsLastToFirst(values, new Ctor(new SharedArrayBuffer(values.length * Ctor.BYTES_PER_ELEMENT)), shape);
  };
  if (a.dtype === 'u1') return { pixels: placed(data as Uint8Array), divisor: given ?? 255 };
  if (data instanceof Float32Array || data instanceof Float64Array) {
    checkFloatPixels(a, data, given === undefined, at);
    return { pixels: placed(data), divisor: given ?? 1 };
  }
  // Other integer types (int16/int64 exports of 0..255 data, booleans) become bytes, checked to fit.
  const bytes = new Uint8Array(reorder ? new ArrayBuffer(data.length) : new SharedArrayBuffer(data.length));
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (v < 0 || v > 255) {
      // With a divisor, any integers are pixels (16-bit scans over 65535): kept as floats, exactly.
      if (given !== undefined) return { pixels: placed(integersAsFloats(a, data, at)), divisor: given };
      throw new SettingError(
        'pixelDivisor',
        (name) => `${whereOf(a)}: integer pixels of dtype ${a.dtype} must lie in 0..255 when no ${name('pixelDivisor')} is given (${at(i)} is ${v}; give a ${name('pixelDivisor')} such as 65535 for 16-bit data)`,
      );
    }
    bytes[i] = v;
  }
  return { pixels: placed(bytes), divisor: given ?? (a.dtype === 'b1' ? 1 : 255) };
}

/** Integers as float32 when every one is exact there (up to 2^24 in size), else as float64, exact up to 2^53. */
function integersAsFloats(a: RawArray, data: Exclude<NpyData, Float32Array | Float64Array>, at: (i: number) => string): Float32Array | Float64Array {
  const numbers = Array.from(data as ArrayLike<number | bigint>, (v, i) => exactNumber(v, `${whereOf(a)}: ${at(i)}`));
  return numbers.every((v) => Math.abs(v) <= 2 ** 24) ? Float32Array.from(numbers) : Float64Array.from(numbers);
}

function checkFloatPixels(a: RawArray, data: Float32Array | Float64Array, needUnitRange: boolean, at: (i: number) => string): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) throw new UserError(`${whereOf(a)}: ${at(i)} is ${v} (pixels must be finite)`);
    if (needUnitRange && (v < 0 || v > 1)) {
      throw new SettingError(
        'pixelDivisor',
        (name) => `${whereOf(a)}: float pixels must lie in [0, 1] when no ${name('pixelDivisor')} is given, but ${at(i)} is ${v} (give a ${name('pixelDivisor')} such as 255 for 0..255 data)`,
      );
    }
  }
}

/** Arrays read with `shared` are already in shared memory; anything else is copied there once. */
function inShared<T extends Pixels>(a: T): T {
  return a.buffer instanceof SharedArrayBuffer ? a : toShared(a);
}
