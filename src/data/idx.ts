/**
 * Reads LeCun's IDX files (MNIST, Fashion-MNIST, KMNIST, EMNIST), raw or gzipped:
 * magic 0x00000801 = unsigned-byte labels (N), 0x00000803 = unsigned-byte images (N, H, W),
 * then one big-endian uint32 per dimension, then the bytes.
 *
 * Gzip is recognised by its magic bytes, not the name: browsers and some mirrors unpack or keep
 * `.gz` without renaming. The bytes end up in a SharedArrayBuffer. A raw file is read straight
 * into it; a gzipped one is inflated first (zlib has no inflate-into-this-buffer call) and
 * copied once, after which the inflated copy is garbage.
 */
import { closeSync, fstatSync, openSync, readSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import { UserError } from '../util/errors.js';
import { whileReading } from './read-errors.js';

export type IdxKind = 'images' | 'labels';

export interface IdxArray {
  /** (N) for labels, (N, H, W) for images. */
  shape: number[];
  /** The unsigned bytes, in a SharedArrayBuffer. */
  data: Uint8Array;
}

const MAGIC: Record<IdxKind, number> = { labels: 0x0801, images: 0x0803 };
const RANK: Record<IdxKind, number> = { labels: 1, images: 3 };
const IDX_TYPES: Record<number, string> = { 0x08: 'unsigned byte', 0x09: 'signed byte', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64' };

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Reads one IDX file of the expected kind; every problem is a UserError `<path>: <what is wrong>`. */
export function readIdx(path: string, kind: IdxKind): IdxArray {
  const fail = (problem: string): never => {
    throw new UserError(`${path}: ${problem}`);
  };
  const fd = whileReading(path, () => openSync(path, 'r'));
  try {
    const size = whileReading(path, () => fstatSync(fd).size);
    const start = new Uint8Array(Math.min(size, 16));
    whileReading(path, () => readSync(fd, start, 0, start.length, 0));
    if (isGzip(start)) return parseIdx(inflate(whileReading(path, () => readFileSync(fd)), kind, fail), kind, fail, 'after gunzip');
    // Raw: learn the size from the header, then read the body directly into shared memory.
    const { shape, headerBytes, bodyBytes } = readIdxHeader(start, size, kind, fail, '');
    const data = new Uint8Array(new SharedArrayBuffer(bodyBytes));
    let done = 0;
    while (done < bodyBytes) {
      const n = whileReading(path, () => readSync(fd, data, done, bodyBytes - done, headerBytes + done));
      if (n === 0) fail('file shrank while being read');
      done += n;
    }
    return { shape, data };
  } finally {
    closeSync(fd);
  }
}

/** DEFLATE's largest ratio of inflated to deflated bytes is about 1032. */
const MAX_INFLATE_RATIO = 1100;

/**
 * The whole file inflated, never more than its header announces: the header is read first from
 * the stream's beginning (a sync flush returns what a prefix decodes), so that a small file which
 * inflates to gigabytes is refused without holding them.
 */
function inflate(gz: Uint8Array, kind: IdxKind, fail: (problem: string) => never): Uint8Array {
  const corrupted = (e: unknown) => fail(`corrupted or truncated gzip data (${(e as Error).message})`);
  let cap = MAX_INFLATE_RATIO * gz.length;
  let head: Uint8Array;
  try {
    head = gunzipSync(gz.subarray(0, Math.min(gz.length, 4096)), { finishFlush: constants.Z_SYNC_FLUSH });
  } catch (e) {
    return corrupted(e);
  }
  const headerBytes = 4 + 4 * RANK[kind];
  if (head.length >= headerBytes) {
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    let body = 1;
    for (let k = 0; k < RANK[kind]; k++) body *= view.getUint32(4 + 4 * k, false);
    const announced = headerBytes + body;
    // The magic and the rank are checked here, before anything as large as the announcement is held.
    readIdxHeader(head, announced, kind, fail, 'after gunzip');
    if (announced > cap) fail(`the header announces ${announced} bytes, more than ${gz.length} gzipped bytes can inflate to`);
    cap = announced;
  }
  try {
    return gunzipSync(gz, { maxOutputLength: cap + 1 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return fail(`inflates to more than the ${cap} bytes its header announces`);
    return corrupted(e);
  }
}

function parseIdx(bytes: Uint8Array, kind: IdxKind, fail: (problem: string) => never, note: string): IdxArray {
  const { shape, headerBytes, bodyBytes } = readIdxHeader(bytes, bytes.length, kind, fail, note);
  const data = new Uint8Array(new SharedArrayBuffer(bodyBytes));
  data.set(bytes.subarray(headerBytes, headerBytes + bodyBytes));
  return { shape, data };
}

/**
 * Checks magic, rank and that the file holds exactly the bytes the dimensions announce.
 * `head` must hold at least the header when the file is long enough; `size` is the whole length.
 */
function readIdxHeader(head: Uint8Array, size: number, kind: IdxKind, fail: (problem: string) => never, note: string) {
  const suffix = note ? ` ${note}` : '';
  if (size < 4) fail(`not an IDX file (only ${size} bytes${suffix})`);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const magic = view.getUint32(0, false);
  const hex = `0x${magic.toString(16).padStart(8, '0')}`;
  if (magic === MAGIC[kind]) {
    // expected
  } else if (magic === MAGIC.images || magic === MAGIC.labels) {
    const other: IdxKind = magic === MAGIC.images ? 'images' : 'labels';
    fail(`holds IDX ${other} (magic ${hex}) where ${kind} were expected`);
  } else if (head[0] === 0 && head[1] === 0 && head[2] in IDX_TYPES) {
    fail(`IDX data of type ${IDX_TYPES[head[2]]} with ${head[3]} dimensions (magic ${hex}); only unsigned-byte ${kind} (0x${MAGIC[kind].toString(16).padStart(8, '0')}) are read`);
  } else {
    fail(`not an IDX file (magic ${hex}${suffix}, expected 0x${MAGIC[kind].toString(16).padStart(8, '0')} for ${kind})`);
  }
  const rank = RANK[kind];
  const headerBytes = 4 + 4 * rank;
  if (size < headerBytes) fail(`truncated IDX header (${size} bytes${suffix}, the header alone needs ${headerBytes})`);
  const shape: number[] = [];
  for (let k = 0; k < rank; k++) shape.push(view.getUint32(4 + 4 * k, false));
  const bodyBytes = shape.reduce((a, b) => a * b, 1);
  const what = kind === 'images' ? `${shape[0]} images of ${shape[1]}x${shape[2]}` : `${shape[0]} labels`;
  const present = size - headerBytes;
  if (present < bodyBytes) fail(`truncated: the header announces ${what} (${bodyBytes} bytes) but only ${present} bytes follow${suffix}`);
  if (present > bodyBytes) fail(`${present - bodyBytes} unexpected bytes after the ${what} the header announces${suffix}`);
  return { shape, headerBytes, bodyBytes };
}

/** The four files of the MNIST distribution; Fashion-MNIST and KMNIST reuse the names. */
export const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export type IdxRole = keyof typeof IDX_FILES;

/**
 * Finds the four files in `dir`, each possibly `.gz`, also under the `train-images.idx3-ubyte`
 * spelling some unpackers produce. Returns undefined when none is there, so the caller can try
 * other layouts; throws when one of `roles` is not, naming the missing ones (the other roles' files
 * may be absent, and are then not in the result).
 */
export function findIdxFiles(dir: string, roles: readonly IdxRole[]): Record<IdxRole, string> | undefined {
  const names = new Set(readdirSync(dir));
  const found: Partial<Record<IdxRole, string>> = {};
  for (const [role, base] of Object.entries(IDX_FILES) as [IdxRole, string][]) {
    const dotted = base.replace(/-(idx\d)/, '.$1');
    const name = [base, `${base}.gz`, dotted, `${dotted}.gz`].find((n) => names.has(n));
    if (name) found[role] = join(dir, name);
  }
  if (Object.keys(found).length === 0) return undefined;
  const missing = roles.filter((role) => found[role] === undefined).map((role) => `${IDX_FILES[role]}[.gz]`);
  if (missing.length > 0) throw new UserError(`${dir}: incomplete IDX dataset, missing ${missing.join(', ')}`);
  return found as Record<IdxRole, string>;
}
