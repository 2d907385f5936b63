/**
 * Writes `.npz` archives that `np.load` opens without pickle and that round-trip exactly.
 *
 * The `.npy` header is written here rather than by npyjs's `dump`: dump pads the header to 8
 * bytes, while numpy pads to 64 so that arrays can be memory-mapped aligned for any dtype
 * (format spec: "divisible by 64 for alignment purposes"). This writer produces the same
 * header bytes as `np.save`.
 */
import { writeFileAtomically } from '../io/atomic-write.js';
import { loadJSZip } from './jszip.js';

export type NpzWritable = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/** A text scalar, stored as numpy stores a str: `<U{n}`, shape (), UTF-32 code points. */
export class NpyText {
  readonly codePoints: Uint32Array;
  constructor(readonly text: string) {
    this.codePoints = Uint32Array.from([...text].map((c) => c.codePointAt(0)!));
  }
}

export interface NpzWriteArray {
  data: NpzWritable | NpyText;
  shape: number[];
}

export interface NpzWriteOptions {
  /** Deflate members like `np.savez_compressed`; the default stores them like `np.savez`. */
  compress?: boolean;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function descrOf(data: NpzWritable | NpyText): string {
  const order = LITTLE_ENDIAN_HOST ? '<' : '>';
  if (data instanceof NpyText) return `${order}U${data.codePoints.length}`;
  if (data instanceof Uint8Array) return '|u1';
  if (data instanceof Int32Array) return `${order}i4`;
  if (data instanceof BigInt64Array) return `${order}i8`;
  if (data instanceof Float32Array) return `${order}f4`;
  return `${order}f8`;
}

/** One `.npy` file (format 1.0) in a fresh buffer: header padded to 64 bytes, then the raw data. */
export function encodeNpy(array: NpzWritable | NpyText, shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  const length = array instanceof NpyText ? 1 : array.length;
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0) || count !== length) {
    throw new Error(`encodeNpy: shape (${shape.join(', ')}) does not hold ${length} elements`);
  }
  const data = array instanceof NpyText ? array.codePoints : array;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descrOf(array)}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // magic(6) + version(2) + length(2) + dict + padding + '\n' is a multiple of 64, as np.save writes it.
  const unpadded = 10 + dict.length + 1;
  const headerLength = dict.length + 1 + ((64 - (unpadded % 64)) % 64);
  if (headerLength > 0xffff) throw new Error(`encodeNpy: shape (${shape.join(', ')}) makes too long a header`);
  const out = new Uint8Array(10 + headerLength + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, headerLength & 0xff, headerLength >> 8]);
  const header = dict.padEnd(headerLength - 1, ' ') + '\n';
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + headerLength);
  return out;
}

/**
 * Writes `arrays` as `<key>.npy` members of a zip at `path`, atomically: a temporary file in the
 * same directory (so rename never crosses file systems) is fsynced and renamed over `path`.
 * A crash or error leaves either the old file or the new one, never half of one, and no temp file.
 */
export async function writeNpz(path: string, arrays: Record<string, NpzWriteArray>, options: NpzWriteOptions = {}): Promise<void> {
  writeNpzBytes(path, await encodeNpz(arrays, options));
}

/** writeNpz's second half, synchronous: a signal handler cannot run between its start and its end. */
export function writeNpzBytes(path: string, bytes: Uint8Array): void {
  writeFileAtomically(path, bytes, 'cannot write .npz file');
}

/** The bytes of the `.npz` archive writeNpz writes. */
export async function encodeNpz(arrays: Record<string, NpzWriteArray>, options: NpzWriteOptions = {}): Promise<Uint8Array> {
  const JSZip = await loadJSZip();
  const zip = new JSZip();
  for (const [key, { data, shape }] of Object.entries(arrays)) {
    if (key === '') throw new Error('writeNpz: array names must not be empty');
    zip.file(`${key}.npy`, encodeNpy(data, shape), { date: new Date(1980, 0, 1, 0, 0, 0) });
  }
  return zip.generateAsync({
    type: 'uint8array',
    compression: options.compress ? 'DEFLATE' : 'STORE',
    compressionOptions: { level: 6 },
  });
}
