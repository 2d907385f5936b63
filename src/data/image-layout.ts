/**
 * Where the channels of an array of images are. Keras and TensorFlow store colour images as
 * (N,H,W,C), PyTorch as (N,C,H,W); shardtrain keeps each image as (C,H,W), the order its networks
 * read. The shape alone usually tells the two apart, because images have 1, 3 or 4 channels (gray,
 * RGB, RGBA) and almost never that few rows or columns. When it does not, the user says which.
 */
import { SettingError } from '../util/errors.js';
import type { ChannelsLayout } from './dataset.js';

/** Gray, RGB and RGBA: the channel counts that mark an axis as the channel axis. */
export const USUAL_CHANNELS = new Set([1, 3, 4]);

/** Images as a file holds them: how many, their size, and whether the channel axis comes last. */
export interface ImageShape {
  readonly count: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** (N,H,W,C) in the file, so the values must be reordered into (N,C,H,W). */
  readonly channelsLast: boolean;
}

/**
 * Reads a 4-D shape (N,?,?,?) as images, or a 3-D one (?,?,?) as a single image. Of the two axes
 * that may hold the channels, the one after the count and the last:
 *   1. `given`, when there is one, decides;
 *   2. when exactly one of them is 1, it is (gray images, as (N,H,W,1) and (N,1,H,W) always were:
 *      the other reading would make the images one pixel high or wide);
 *   3. when exactly one of them is 1, 3 or 4 (gray, RGB, RGBA), it is;
 *   4. otherwise (both or neither) the shape does not say, and `given` must.
 */
export function channelsReading(shape: readonly number[], given: ChannelsLayout | undefined, where: string): ImageShape {
  const single = shape.length === 3;
  const [count, a, b, d] = single ? [1, ...shape] : shape;
  const last: ImageShape = { count, height: a, width: b, channels: d, channelsLast: true };
  const first: ImageShape = { count, channels: a, height: b, width: d, channelsLast: false };
  if (given !== undefined) return given === 'last' ? last : first;
  if ((d === 1) !== (a === 1)) return d === 1 ? last : first;
  const lastFits = USUAL_CHANNELS.has(d);
  const firstFits = USUAL_CHANNELS.has(a);
  if (lastFits && !firstFits) return last;
  if (firstFits && !lastFits) return first;
  const n = single ? '' : 'N, ';
  const reading = (s: ImageShape) => `${s.height}x${s.width} with ${s.channels} channel${s.channels === 1 ? '' : 's'}`;
  throw new SettingError(
    'channelsLayout',
    (name) =>
      `${where}: ${single ? 'an image' : 'images'} of shape (${shape.join(', ')}) ${single ? 'is' : 'are'} ${reading(last)} if the channels come last (${n}H, W, C), ` +
      `or ${reading(first)} if they come first (${n}C, H, W); give ${name('channelsLayout')} last or first`,
  );
}

/**
 * Where value `flatIndex` of the file sits: "image 3 row 2 column 17", and "image 3 channel 1 row 2
 * column 17" when the images have channels, so the user can find it; a flat index would not.
 */
export function pixelPosition(flatIndex: number, s: ImageShape): string {
  const { channels: c, height: h, width: w } = s;
  const image = Math.floor(flatIndex / (c * h * w));
  const inImage = flatIndex % (c * h * w);
  const [channel, row, column] = s.channelsLast
    ? [inImage % c, Math.floor(inImage / (w * c)), Math.floor(inImage / c) % w]
    : [Math.floor(inImage / (h * w)), Math.floor(inImage / w) % h, inImage % w];
  return c === 1 ? `image ${image} row ${row} column ${column}` : `image ${image} channel ${channel} row ${row} column ${column}`;
}

/** Copies (N,H,W,C) values into `out` as (N,C,H,W): each image's channels become planes. */
export function channelsLastToFirst<T extends { [i: number]: number; readonly length: number }>(src: ArrayLike<number>, out: T, s: ImageShape): T {
  const { channels: c } = s;
  const plane = s.height * s.width;
  const size = c * plane;
  for (let n = 0; n < s.count; n++) {
    const base = n * size;
    for (let p = 0; p < plane; p++) {
      for (let k = 0; k < c; k++) out[base + k * plane + p] = src[base + p * c + k];
    }
  }
  return out;
}
