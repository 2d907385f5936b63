/**
 * The inputs of `shardtrain predict`: PNG images (png-image.ts) and .npy arrays holding one
 * grayscale image (H, W) or a stack (N, H, W) (also (N, H, W, 1) and (N, 1, H, W)). The kind is
 * told by the file's first bytes, not its name. Pixel values: uint8 (and other integers in 0..255)
 * are divided by 255, booleans are 0/1, floats must already lie in [0, 1].
 *
 * Every problem is one UserError line naming the file.
 */
import { readFileSync } from 'node:fs';
import { parseNpy, type NpyArray } from './npy.js';
import { decodePng, PNG_SIGNATURE } from './png-image.js';
import { UserError } from '../util/errors.js';

export interface InputImage {
  /** The file, or `file[i]` for image i of a stack. */
  readonly name: string;
  readonly file: string;
  readonly index: number | null;
  readonly height: number;
  readonly width: number;
  /** height*width values in [0, 1] as stored (1 is white). */
  readonly luminance: Float64Array;
  /** Opacity in [0, 1] (PNG only), or null. */
  readonly alpha: Float64Array | null;
}

export interface ReadImageOptions {
  /**
   * The network's input width, when known: a 3-D array whose last axis is 3 or 4 and not this width
   * is refused as a colour image (H, W, C) rather than read as a stack of narrow images.
   */
  readonly networkWidth?: number;
}

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

export function readImageFile(path: string, options: ReadImageOptions = {}): InputImage[] {
  const bytes = readWhole(path);
  const startsWith = (magic: readonly number[]) => bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
  if (startsWith(PNG_SIGNATURE)) {
    const picture = decodePng(bytes, path);
    return [{ name: path, file: path, index: null, ...picture }];
  }
  if (startsWith(NPY_MAGIC)) return npyImages(parseNpy(bytes, path), path, options);
  throw new UserError(`${path}: ${whatItIs(bytes)}; predict reads PNG images and .npy arrays`);
}

function readWhole(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${path}: no such file`);
    if (code === 'EISDIR') throw new UserError(`${path}: is a directory, not an image`);
    if (code === 'EACCES') throw new UserError(`${path}: permission denied`);
    throw new UserError(`${path}: cannot read (${code ?? String(e)})`);
  }
}

/** Names the formats people actually pass by mistake. */
function whatItIs(bytes: Uint8Array): string {
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes.length === 0) return 'empty file';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'a JPEG image, not a PNG';
  if (ascii(0, 4) === 'GIF8') return 'a GIF image, not a PNG';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'a WebP image, not a PNG';
  if (ascii(0, 2) === 'BM') return 'a BMP image, not a PNG';
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return 'a zip archive (.npz?), not a single image or .npy array';
  return 'neither a PNG image nor a .npy array';
}

function npyImages(a: NpyArray, path: string, options: ReadImageOptions): InputImage[] {
  const s = a.shape;
  const shape = `(${s.join(', ')})`;
  const fail = (problem: string): never => {
    throw new UserError(`${path}: ${problem}`);
  };
  let count: number;
  let height: number;
  let width: number;
  let stacked = true;
  if (s.length === 2) [count, height, width, stacked] = [1, s[0], s[1], false];
  else if (s.length === 3) {
    if ((s[2] === 3 || s[2] === 4) && s[2] !== options.networkWidth) {
      fail(`an array of shape ${shape} looks like one colour image (H, W, ${s[2]}); predict reads grayscale arrays (H, W) or (N, H, W): convert it, or save it as a PNG`);
    }
    [count, height, width] = [s[0], s[1], s[2]];
  } else if (s.length === 4 && s[3] === 1) [count, height, width] = [s[0], s[1], s[2]];
  else if (s.length === 4 && s[1] === 1) [count, height, width] = [s[0], s[2], s[3]];
  else return fail(`an array of shape ${shape}; predict reads one grayscale image (H, W) or a stack (N, H, W)`);
  if (count === 0) fail(`an array of shape ${shape} holds no images`);
  if (height === 0 || width === 0) fail(`an array of shape ${shape} holds empty ${height}x${width} images`);

  const pixels = toUnitRange(a, path, height * width, width);
  const size = height * width;
  return Array.from({ length: count }, (_, i) => ({
    name: stacked ? `${path}[${i}]` : path,
    file: path,
    index: stacked ? i : null,
    height,
    width,
    luminance: pixels.subarray(i * size, (i + 1) * size),
    alpha: null,
  }));
}

function toUnitRange(a: NpyArray, path: string, imageSize: number, width: number): Float64Array {
  const data = a.data;
  const out = new Float64Array(data.length);
  const at = (i: number) => {
    const inImage = i % imageSize;
    return `image ${Math.floor(i / imageSize)} row ${Math.floor(inImage / width)} column ${inImage % width}`;
  };
  if (a.dtype === 'f2' || a.dtype === 'f4' || a.dtype === 'f8') {
    for (let i = 0; i < data.length; i++) {
      const v = data[i] as number;
      if (!(v >= 0 && v <= 1)) throw new UserError(`${path}: float pixels must lie in [0, 1], but ${at(i)} is ${v}`);
      out[i] = v;
    }
    return out;
  }
  const divisor = a.dtype === 'b1' ? 1 : 255;
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (!(v >= 0 && v <= 255)) throw new UserError(`${path}: integer pixels must lie in 0..255, but ${at(i)} is ${data[i]} (dtype ${a.dtype})`);
    // A division, like the training data's image/255, so a digit here and in the test set give the same bits.
    out[i] = v / divisor;
  }
  return out;
}
