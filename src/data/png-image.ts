/**
 * Decodes a PNG into what a network can use: its channels in [0, 1], one plane each, (C,H,W); one
 * luminance value per pixel for a gray network; and the opacity in [0, 1] when the image has any
 * (alpha channel, or a tRNS chunk). Gray and gray+alpha PNGs have 1 channel; RGB, RGBA and palette
 * PNGs have 3 (R, G, B); alpha is never a channel.
 *
 * Decoding is pngjs's (all colour types, bit depths 1-16, palettes, interlacing, CRC checks). pngjs
 * hands back RGBA samples for every colour type; read with skipRescale, 16-bit samples keep all 16
 * bits instead of being rounded to 8, so each sample is divided by its own maximum, 2^depth - 1
 * (255 for palette entries).
 *
 * Colour becomes luminance with ITU-R BT.601 luma weights, Y = 0.299 R + 0.587 G + 0.114 B, on
 * the stored values, the same formula as Pillow's convert('L'). Gray pixels (R = G = B) are taken
 * as they are, so a gray image stored as RGB or as a palette gives exactly its gray values. gAMA
 * and colour profiles are ignored: MNIST-like digits are stored as plain 8-bit values, and the
 * network was trained on the stored values.
 */
import { createRequire } from 'node:module';
import type pngjs from 'pngjs';
import { UserError } from '../util/errors.js';
import { checkPng } from './png-check.js';

export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const LUMA_R = 0.299;
const LUMA_G = 0.587;
const LUMA_B = 0.114;

export interface DecodedPicture {
  /** 1 (gray) or 3 (R, G, B). */
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** channels*height*width values in [0, 1], one row-major plane per channel; 1 is white. */
  readonly values: Float64Array;
  /** height*width values in [0, 1], row-major: `values` itself for a gray image. */
  readonly luminance: Float64Array;
  /** height*width opacities in [0, 1], or null for an image without transparency. */
  readonly alpha: Float64Array | null;
}

export function decodePng(file: Uint8Array, path: string): DecodedPicture {
  const bytes = checkPng(file, path);
  // Required when a PNG is read rather than imported: its import was 25 ms of every command's start.
  const { PNG } = createRequire(import.meta.url)('pngjs') as typeof pngjs;
  let png: pngjs.PNGWithMetadata;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { skipRescale: true });
  } catch (e) {
    const message = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
    throw new UserError(`${path}: corrupt or truncated PNG (${message})`);
  }
  const { width, height, depth, data } = png;
  // @types/pngjs leaves palette (3) out of ColorType, but reading a palette image reports it.
  const colorType: number = png.colorType;
  const max = colorType === 3 ? 255 : 2 ** depth - 1;
  const count = width * height;
  // pngjs has already expanded gray to R = G = B; the colour type says whether there was colour.
  const channels = colorType === 0 || colorType === 4 ? 1 : 3;
  const luminance = new Float64Array(count);
  const values = channels === 1 ? luminance : new Float64Array(3 * count);
  const alpha = png.alpha ? new Float64Array(count) : null;
  for (let i = 0; i < count; i++) {
    const r = data[4 * i];
    const g = data[4 * i + 1];
    const b = data[4 * i + 2];
    luminance[i] = luma(r, g, b, max);
    if (channels === 3) {
      values[i] = r / max;
      values[count + i] = g / max;
      values[2 * count + i] = b / max;
    }
    if (alpha) alpha[i] = data[4 * i + 3] / max;
  }
  return { channels, height, width, values, luminance, alpha };
}

/** BT.601 luma of stored samples scaled by `max`; gray (r = g = b) stays exactly r / max. */
export function luma(r: number, g: number, b: number, max: number): number {
  return r === g && g === b ? r / max : (LUMA_R * r + LUMA_G * g + LUMA_B * b) / max;
}
