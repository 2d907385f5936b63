/**
 * The inputs of `shardtrain predict`: PNG images (png-image.ts) and .npy arrays. An array is one
 * gray image (H, W), a stack (N, H, W, C) or (N, C, H, W) told apart as training data is
 * (image-layout.ts), and a 3-D array is a stack of gray images (N, H, W) for a gray network (but
 * (H, W, 1) is one) and one image (H, W, C) or (C, H, W) for a network with channels. The kind of
 * file is told by its first bytes, not its name. Pixel values: uint8 (and other integers in
 * 0..255) are divided by 255, booleans are 0/1, floats must already lie in [0, 1].
 *
 * Every problem is one UserError line naming the file.
 */
import { readFileAsSync } from './read-whole.js';
import type { ChannelsLayout } from './dataset.js';
import { channelsLastToFirst, channelsReading, type ImageShape, pixelPosition, USUAL_CHANNELS } from './image-layout.js';
import { exactNumber, parseNpy, type NpyArray } from './npy.js';
import { decodePng, luma, PNG_SIGNATURE } from './png-image.js';
import { SettingError, UserError } from '../util/errors.js';

export interface InputImage {
  /** The file, or `file[i]` for image i of a stack. */
  readonly name: string;
  readonly file: string;
  readonly index: number | null;
  readonly format: 'png' | 'npy';
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** channels*height*width values in [0, 1] as stored (1 is white), one plane per channel: (C,H,W). */
  readonly values: Float64Array;
  /**
   * What a gray network sees, height*width values: `values` for a gray image, the BT.601 luma of
   * the stored samples for an RGB one (png-image.ts), null for other channel counts.
   */
  readonly luminance: Float64Array | null;
  /** Opacity in [0, 1] (PNG only), or null. */
  readonly alpha: Float64Array | null;
}

export interface ReadImageOptions {
  /** The channels of the network's input (default 1): whether a 3-D array is a stack or one image. */
  readonly networkChannels?: number;
  /**
   * The network's input width, when known: for a gray network, a 3-D array whose last axis is 3 or
   * 4 and not this width is refused as a colour image (H, W, C) rather than read as a stack of narrow images.
   */
  readonly networkWidth?: number;
  /** Where the channel axis is, for arrays whose shape does not say (image-layout.ts). */
  readonly channelsLayout?: ChannelsLayout;
  /** For .npy arrays: what the values are divided by (default 255 for integers in 0..255, 1 for floats in [0, 1]). */
  readonly pixelDivisor?: number;
}

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

export function readImageFile(path: string, options: ReadImageOptions = {}): InputImage[] {
  if (path.trim() === '') throw new UserError(`an image path is empty (${JSON.stringify(path)})`);
  const bytes = readFileAsSync(path, 'an image');
  const startsWith = (magic: readonly number[]) => bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
  if (startsWith(PNG_SIGNATURE)) return [{ name: path, file: path, index: null, format: 'png', ...decodePng(bytes, path) }];
  if (startsWith(NPY_MAGIC)) return npyImages(parseNpy(bytes, path), path, options);
  throw new UserError(`${path}: ${whatItIs(bytes)}; predict reads PNG images and .npy arrays`);
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
  const gray = (options.networkChannels ?? 1) === 1;
  const noChannelAxis = () => {
    if (options.channelsLayout === undefined) return;
    throw new SettingError('channelsLayout', (name) => `${path}: an array of shape ${shape} is read without a channel axis${s.length === 3 ? ', as a stack for a gray network' : ''}, so ${name('channelsLayout')} ${options.channelsLayout} would do nothing; leave it out`);
  };
  let layout: ImageShape;
  let stacked = true;
  if (s.length === 2) {
    noChannelAxis();
    [layout, stacked] = [{ count: 1, channels: 1, height: s[0], width: s[1], channelsLast: false }, false];
  } else if (s.length === 3 && gray && s[2] === 1 && options.networkWidth !== 1) {
    // One gray image stored channel-last, as Keras keeps them, not H images one pixel wide.
    if (options.channelsLayout === 'first') {
      throw new SettingError('channelsLayout', (name) => `${path}: an array of shape ${shape} is one gray image with its channel axis last, so ${name('channelsLayout')} first does not fit it`);
    }
    [layout, stacked] = [{ count: 1, channels: 1, height: s[0], width: s[1], channelsLast: false }, false];
  } else if (s.length === 3 && gray) {
    if ((s[2] === 3 || s[2] === 4) && s[2] !== options.networkWidth) {
      fail(`an array of shape ${shape} looks like one colour image (H, W, ${s[2]}); for a gray network predict reads arrays (H, W) or (N, H, W): convert it, or save it as a PNG`);
    }
    noChannelAxis();
    layout = { count: s[0], channels: 1, height: s[1], width: s[2], channelsLast: false };
  } else if (s.length === 3) {
    const c = options.networkChannels!;
    // An end of 1, 3 or 4 is a channel axis too (image-layout.ts): RGBA for an RGB network is refused later, as 4 channels.
    const channelAxis = (n: number) => USUAL_CHANNELS.has(n) || n === c;
    if (options.channelsLayout === undefined && !channelAxis(s[0]) && !channelAxis(s[2])) {
      fail(`an array of shape ${shape} has no axis of 1 or ${c} channels at either end; the network takes one image (${c}, H, W) or (H, W, ${c}), and a stack of gray images goes as (N, 1, H, W) or (N, H, W, 1)`);
    }
    [layout, stacked] = [channelsReading(s, options.channelsLayout, path), false];
  }
  else if (s.length === 4) layout = channelsReading(s, options.channelsLayout, path);
  else return fail(`an array of shape ${shape}; predict reads one image (H, W), (H, W, C) or (C, H, W), or a stack (N, H, W), (N, H, W, C) or (N, C, H, W)`);
  const { count, channels, height, width } = layout;
  if (count === 0) fail(`an array of shape ${shape} holds no images`);
  if (height === 0 || width === 0 || channels === 0) fail(`an array of shape ${shape} holds empty ${channels === 1 ? '' : `${channels}x`}${height}x${width} images`);

  const { stored, max } = storedValues(a, path, layout, options.pixelDivisor);
  const planes = layout.channelsLast && channels > 1 ? channelsLastToFirst(stored, new Float64Array(stored.length), layout) : stored;
  // A division, like the training data's image/255, so a digit here and in the test set give the same bits.
  const values = planes.map((v) => v / max);
  const plane = height * width;
  const size = channels * plane;
  return Array.from({ length: count }, (_, i) => {
    const own = values.subarray(i * size, (i + 1) * size);
    return {
      name: stacked ? `${path}[${i}]` : path,
      file: path,
      index: stacked ? i : null,
      format: 'npy',
      channels,
      height,
      width,
      values: own,
      luminance: channels === 1 ? own : channels === 3 ? lumaPlane(planes.subarray(i * size, (i + 1) * size), plane, max) : null,
      alpha: null,
    };
  });
}

/**
 * The array's numbers as stored, checked to be pixels, and what 1 (white) is: 1 for floats and
 * booleans, 255 for integers, or `divisor`, with which any finite value is taken.
 */
function storedValues(a: NpyArray, path: string, layout: ImageShape, divisor?: number): { stored: Float64Array; max: number } {
  const data = a.data;
  const out = new Float64Array(data.length);
  const at = (i: number) => pixelPosition(i, layout);
  if (divisor !== undefined) {
    for (let i = 0; i < data.length; i++) {
      out[i] = exactNumber(data[i], `${path}: ${at(i)}`);
      if (!Number.isFinite(out[i])) throw new UserError(`${path}: ${at(i)} is ${out[i]} (pixels must be finite)`);
    }
    return { stored: out, max: divisor };
  }
  if (a.dtype === 'f2' || a.dtype === 'f4' || a.dtype === 'f8') {
    for (let i = 0; i < data.length; i++) {
      const v = data[i] as number;
      if (!Number.isFinite(v)) throw new UserError(`${path}: ${at(i)} is ${v} (pixels must be finite)`);
      if (!(v >= 0 && v <= 1)) throw new SettingError('pixelDivisor', (name) => `${path}: float pixels must lie in [0, 1] when no ${name('pixelDivisor')} is given, but ${at(i)} is ${v}`);
      out[i] = v;
    }
    return { stored: out, max: 1 };
  }
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (!(v >= 0 && v <= 255)) throw new SettingError('pixelDivisor', (name) => `${path}: integer pixels must lie in 0..255 when no ${name('pixelDivisor')} is given, but ${at(i)} is ${data[i]} (dtype ${a.dtype})`);
    out[i] = v;
  }
  return { stored: out, max: a.dtype === 'b1' ? 1 : 255 };
}

/** The luma of one (3,H,W) image of stored samples: the same numbers as for a PNG with those samples. */
function lumaPlane(rgb: Float64Array, plane: number, max: number): Float64Array {
  const out = new Float64Array(plane);
  for (let p = 0; p < plane; p++) out[p] = luma(rgb[p], rgb[plane + p], rgb[2 * plane + p], max);
  return out;
}
