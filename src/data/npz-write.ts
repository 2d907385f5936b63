/**
 * Writes `.npz` archives that `np.load` opens without pickle and that round-trip exactly.
 *
 * The `.npy` header is written here rather than by npyjs's `dump`: dump pads the header to 8
 * bytes, while numpy pads to 64 so that arrays can be memory-mapped aligned for any dtype
 * (format spec: "divisible by 64 for alignment purposes"). This writer produces the same
 * header bytes as `np.save`.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import JSZip from 'jszip';
import { UserError } from '../util/errors.js';

export type NpzWritable = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

export interface NpzWriteArray {
  data: NpzWritable;
  shape: number[];
}

export interface NpzWriteOptions {
  /** Deflate members like `np.savez_compressed`; the default stores them like `np.savez`. */
  compress?: boolean;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function descrOf(data: NpzWritable): string {
  const order = LITTLE_ENDIAN_HOST ? '<' : '>';
  if (data instanceof Uint8Array) return '|u1';
  if (data instanceof Int32Array) return `${order}i4`;
  if (data instanceof BigInt64Array) return `${order}i8`;
  if (data instanceof Float32Array) return `${order}f4`;
  return `${order}f8`;
}

/** One `.npy` file (format 1.0) in a fresh buffer: header padded to 64 bytes, then the raw data. */
export function encodeNpy(data: NpzWritable, shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0) || count !== data.length) {
    throw new Error(`encodeNpy: shape (${shape.join(', ')}) does not hold ${data.length} elements`);
  }
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descrOf(data)}', 'fortran_order': False, 'shape': ${shapeText}, }`;
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
  const zip = new JSZip();
  for (const [key, { data, shape }] of Object.entries(arrays)) {
    if (key === '') throw new Error('writeNpz: array names must not be empty');
    zip.file(`${key}.npy`, encodeNpy(data, shape), { date: new Date(1980, 0, 1, 0, 0, 0) });
  }
  const bytes = await zip.generateAsync({
    type: 'uint8array',
    compression: options.compress ? 'DEFLATE' : 'STORE',
    compressionOptions: { level: 6 },
  });

  writeFileAtomically(path, bytes);
}

/**
 * Temporary file in the same directory, fsync, rename, fsync of the directory. Synchronous on
 * purpose: a signal handler (a second Ctrl-C exits at once) runs only between pieces of
 * JavaScript, so it can never find a temporary file half-written or still being created by an
 * asynchronous open in libuv's thread pool.
 */
function writeFileAtomically(path: string, bytes: Uint8Array): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let created = false;
  try {
    const fd = openSync(temp, 'wx');
    created = true;
    try {
      for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
    created = false;
  } catch (e) {
    if (created) rmSync(temp, { force: true });
    throw new UserError(`${path}: cannot write .npz file (${describeWriteError(e)})`);
  }
  syncDirectory(dirname(path));
}

/** Node's messages name the temporary file, which the user never asked for; name the cause instead. */
function describeWriteError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'its directory does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'a directory is in the way';
  if (code === 'ENOSPC') return 'no space left on the device';
  if (code === 'EROFS') return 'read-only file system';
  return (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ');
}

/** Makes the rename itself durable; some platforms cannot fsync a directory, which is harmless. */
function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // EISDIR/EPERM/EINVAL on some systems: the data itself is already synced.
  }
}
