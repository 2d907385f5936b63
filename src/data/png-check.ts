/**
 * Checks a PNG's structure before pngjs decodes it: every chunk (length, type, data, CRC-32) up
 * to IEND, and that the image data inflates to exactly the bytes the header announces. pngjs's
 * sync reader reports a damaged chunk only as "unrecognised content at end of stream", and it
 * turns a corrupt or short zlib stream into black pixels without an error; a corrupt file must be
 * refused instead, saying what is wrong. A huge declared size is refused before anything is inflated.
 */
import { crc32, inflateSync } from 'node:zlib';
import { UserError } from '../util/errors.js';

const SIGNATURE_BYTES = 8;
/** Larger images are refused before inflating: one RGBA copy of them would already need 1.6 GB. */
const MAX_PIXELS = 100_000_000;
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** The bit depths the PNG standard allows each colour type; a decoder may read others as anything. */
const DEPTHS: Record<number, readonly number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
// Adam7 passes: first column, first row, column step, row step.
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

interface Header {
  readonly width: number;
  readonly height: number;
  readonly bitsPerPixel: number;
  readonly interlaced: boolean;
}

/** Returns the bytes up to IEND's end: what follows it is no part of the image, and libpng and Pillow ignore it too. */
export function checkPng(bytes: Uint8Array, path: string): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const imageData: Uint8Array[] = [];
  let header: Header | undefined;
  let at = SIGNATURE_BYTES;
  for (;;) {
    if (at + 8 > bytes.length) throw new UserError(`${path}: truncated PNG: the file ends after ${bytes.length} bytes, before its IEND chunk`);
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (!/^[A-Za-z]{4}$/.test(type)) throw new UserError(`${path}: corrupt PNG: no valid chunk at byte ${at}`);
    if (!header && type !== 'IHDR') throw new UserError(`${path}: corrupt PNG: the first chunk is ${type}, not IHDR`);
    const end = at + 8 + length + 4;
    if (end > bytes.length) {
      throw new UserError(`${path}: truncated PNG: chunk ${type} at byte ${at} needs ${length + 12} bytes, the file ends after ${bytes.length - at}`);
    }
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) >>> 0 !== view.getUint32(at + 8 + length)) {
      throw new UserError(`${path}: corrupt PNG: CRC-32 mismatch in chunk ${type} at byte ${at}`);
    }
    if (type === 'IHDR') header = readHeader(data, path);
    if (type === 'IDAT') imageData.push(data);
    at = end;
    if (type === 'IEND') break;
  }
  checkImageData(Buffer.concat(imageData), header!, path);
  return bytes.subarray(0, at);
}

function readHeader(data: Uint8Array, path: string): Header {
  if (data.length !== 13) throw new UserError(`${path}: corrupt PNG: IHDR holds ${data.length} bytes, not 13`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const [depth, colorType, interlace] = [data[8], data[9], data[12]];
  const channels = CHANNELS[colorType];
  if (channels === undefined) throw new UserError(`${path}: corrupt PNG: colour type ${colorType} does not exist`);
  if (!DEPTHS[colorType].includes(depth)) {
    throw new UserError(`${path}: corrupt PNG: colour type ${colorType} takes bit depths ${DEPTHS[colorType].join(', ')}, not ${depth}`);
  }
  if (interlace > 1) throw new UserError(`${path}: corrupt PNG: interlace method ${interlace} does not exist`);
  if (data[10] !== 0 || data[11] !== 0) throw new UserError(`${path}: corrupt PNG: compression method ${data[10]} and filter method ${data[11]}; only 0 and 0 exist`);
  const width = view.getUint32(0);
  const height = view.getUint32(4);
  if (width === 0 || height === 0) throw new UserError(`${path}: corrupt PNG: the header declares a ${width}x${height} image`);
  if (width * height > MAX_PIXELS) throw new UserError(`${path}: a ${width}x${height} PNG is larger than the ${MAX_PIXELS / 1e6} megapixels predict reads`);
  return { width, height, bitsPerPixel: channels * depth, interlaced: interlace === 1 };
}

/** Each row is a filter byte plus its packed samples; an interlaced image stores its seven passes one after the other. */
function expectedBytes(h: Header): number {
  const rows = (width: number, height: number) => (width === 0 || height === 0 ? 0 : height * (1 + Math.ceil((width * h.bitsPerPixel) / 8)));
  if (!h.interlaced) return rows(h.width, h.height);
  return ADAM7.reduce((sum, [x0, y0, dx, dy]) => sum + rows(Math.ceil((h.width - x0) / dx), Math.ceil((h.height - y0) / dy)), 0);
}

function checkImageData(compressed: Uint8Array, h: Header, path: string): void {
  if (compressed.length === 0) throw new UserError(`${path}: corrupt PNG: no IDAT chunk, so no image data`);
  const expected = expectedBytes(h);
  let inflated: Buffer;
  try {
    // One byte more than expected is enough to know the stream is too long, without inflating a bomb.
    inflated = inflateSync(compressed, { maxOutputLength: expected + 1 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new UserError(`${path}: corrupt PNG: the image data holds more than the ${expected} bytes of a ${h.width}x${h.height} image`);
    const message = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
    throw new UserError(`${path}: corrupt PNG: the image data does not inflate (${message})`);
  }
  if (inflated.length !== expected) {
    throw new UserError(`${path}: corrupt PNG: the image data inflates to ${inflated.length} bytes, a ${h.width}x${h.height} image needs ${expected}`);
  }
}
