/**
 * Reads one `.npy` array (NumPy's format 1.0/2.0/3.0) into a native, C-ordered, aligned typed array.
 *
 * npyjs's `parse` is not used for the data: it throws on big-endian arrays instead of swapping
 * them, hands back a plain JS array for booleans, ignores `fortran_order`, never checks that the
 * data length matches the shape, and makes views that throw RangeError when the data starts at
 * an offset the element size does not divide. Every one of those is a file a user can have, so
 * this reader owns the header and the data and only borrows npyjs's float16 decoder.
 */
import { float16ToFloat32 } from 'npyjs';
import { UserError } from '../util/errors.js';
import { parsePyLiteral, type PyValue } from './py-literal.js';

export type NpyDtype = 'u1' | 'i1' | 'u2' | 'i2' | 'u4' | 'i4' | 'u8' | 'i8' | 'f2' | 'f4' | 'f8' | 'b1';

export type NpyData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

/**
 * `data` holds product(shape) elements in C order, native byte order, aligned. f2 arrives widened
 * to Float32Array, b1 as 0/1 bytes. Without `shared`, data that needed no conversion is a view of
 * the bytes passed in (no copy), so keep those bytes unmodified.
 */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

export interface ParseNpyOptions {
  /** Put the data in a fresh SharedArrayBuffer (decoding straight into it, no extra copy). */
  shared?: boolean;
}

type Ctor = { new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): NpyData; BYTES_PER_ELEMENT: number };

const CTORS: Record<NpyDtype, Ctor> = {
  u1: Uint8Array,
  i1: Int8Array,
  b1: Uint8Array,
  u2: Uint16Array,
  i2: Int16Array,
  f2: Uint16Array, // widened to float32 after reading
  u4: Uint32Array,
  i4: Int32Array,
  f4: Float32Array,
  u8: BigUint64Array,
  i8: BigInt64Array,
  f8: Float64Array,
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Parses `.npy` bytes. Every problem is a UserError reading `${where}: <what is wrong>`, where
 * `where` names the file (and key) for the user.
 */
export function parseNpy(bytes: Uint8Array, where = '.npy data', options: ParseNpyOptions = {}): NpyArray {
  const offset = npyDataOffset(bytes, where);
  if (offset === undefined || offset > bytes.length) {
    throw new UserError(`${where}: truncated .npy header (${bytes.length} bytes in all)`);
  }
  const header = parseNpyHeader(bytes.subarray(0, offset), where);
  checkNpyDataLength(header, bytes.length - offset, where);
  return decodeNpyData(header, bytes.subarray(offset, offset + header.dataBytes), where, options);
}

/** What the header says, with the sizes derived from it. */
export interface NpyHeader {
  dtype: NpyDtype;
  littleEndian: boolean;
  fortranOrder: boolean;
  shape: number[];
  /** Bytes before the data: magic, version, header length, header. */
  dataOffset: number;
  /** product(shape) * item size: exactly what must follow the header. */
  dataBytes: number;
}

/**
 * Where the data starts, once `prefix` holds the fixed preamble (12 bytes suffice); undefined
 * while it is shorter. Lets a streaming reader know how much to buffer before parseNpyHeader.
 */
export function npyDataOffset(prefix: Uint8Array, where: string): number | undefined {
  const fail = (problem: string): never => {
    throw new UserError(`${where}: ${problem}`);
  };
  if (MAGIC.some((b, i) => i < prefix.length && prefix[i] !== b)) fail('not a .npy array (bad magic bytes)');
  if (prefix.length < 8) return undefined;
  const major = prefix[6];
  if (major !== 1 && major !== 2 && major !== 3) fail(`unsupported .npy format version ${major}.${prefix[7]}`);
  const lengthBytes = major === 1 ? 2 : 4;
  if (prefix.length < 8 + lengthBytes) return undefined;
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  // numpy itself refuses headers over 10,000 bytes without allow_pickle; 1 MiB keeps a corrupt
  // length field from making a streaming reader buffer the whole member as "header".
  if (headerLength > 1 << 20) fail(`implausible .npy header length ${headerLength}`);
  return 8 + lengthBytes + headerLength;
}

/** Parses the header; `prefix` must hold exactly the npyDataOffset(prefix) bytes before the data. */
export function parseNpyHeader(prefix: Uint8Array, where: string): NpyHeader {
  // The problem may quote the header's own text: its control characters are escaped, to keep one line.
  const fail = (problem: string): never => {
    throw new UserError(`${where}: ${problem.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1))}`);
  };
  const dataOffset = npyDataOffset(prefix, where);
  if (dataOffset === undefined || dataOffset > prefix.length) return fail('truncated .npy header');
  const preamble = prefix[6] === 1 ? 10 : 12;
  // Version 3 allows utf-8 field names; 1 and 2 are latin1. Only ASCII matters for the fields we accept.
  const headerText = new TextDecoder(prefix[6] === 3 ? 'utf-8' : 'latin1').decode(prefix.subarray(preamble, dataOffset));
  const { dtype, littleEndian, fortranOrder, shape } = readHeader(headerText, fail);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataBytes = count * CTORS[dtype].BYTES_PER_ELEMENT;
  if (!Number.isSafeInteger(dataBytes)) fail(`shape (${shape.join(', ')}) is too large`);
  return { dtype, littleEndian, fortranOrder, shape, dataOffset, dataBytes };
}

/** The element count must match the shape exactly: fewer bytes is truncation, more means a wrong header. */
export function checkNpyDataLength(header: NpyHeader, present: number, where: string): void {
  const { shape, dtype, dataBytes } = header;
  const shapeText = `(${shape.join(', ')})`;
  if (present < dataBytes) throw new UserError(`${where}: truncated array data: shape ${shapeText} of ${dtype} needs ${dataBytes} bytes, found ${present}`);
  if (present > dataBytes) throw new UserError(`${where}: ${present - dataBytes} extra bytes after the data of shape ${shapeText} ${dtype} (header and data disagree)`);
}

/**
 * Turns exactly `header.dataBytes` raw bytes into a native, C-ordered, aligned array. Raw bytes
 * that already sit in a SharedArrayBuffer and need no conversion are returned as a view.
 */
export function decodeNpyData(header: NpyHeader, raw: Uint8Array, where: string, options: ParseNpyOptions = {}): NpyArray {
  const { dtype, littleEndian, fortranOrder, shape, dataBytes } = header;
  if (raw.length !== dataBytes) checkNpyDataLength(header, raw.length, where);
  const Ctor = CTORS[dtype];
  const count = dataBytes / Ctor.BYTES_PER_ELEMENT;
  // Each stage writes into shared memory only when it is the last one, so nothing is copied twice.
  const shared = options.shared ?? false;
  const nativeOrder = littleEndian === LITTLE_ENDIAN_HOST || Ctor.BYTES_PER_ELEMENT === 1;
  let data = toNative(raw, Ctor, count, nativeOrder, shared && !fortranOrder && dtype !== 'f2');
  if (dtype === 'f2') data = widenFloat16(data as Uint16Array, shared && !fortranOrder);
  if (fortranOrder) data = fortranToC(data, shape, shared);
  return { dtype, shape, data };
}

function readHeader(text: string, fail: (problem: string) => never): Omit<NpyHeader, 'dataOffset' | 'dataBytes'> {
  let dict: PyValue;
  try {
    dict = parsePyLiteral(text);
  } catch (e) {
    return fail(`malformed .npy header (${(e as Error).message})`);
  }
  if (!(dict instanceof Map)) {
    return fail('malformed .npy header (not a dictionary)');
  }
  const descr = dict.get('descr');
  const fortran = dict.get('fortran_order');
  const shapeValue = dict.get('shape');
  if (descr === undefined || fortran === undefined || shapeValue === undefined) {
    return fail(`malformed .npy header (needs descr, fortran_order and shape; found ${[...dict.keys()].join(', ')})`);
  }
  if (typeof descr !== 'string') return fail('unsupported dtype: structured (record) arrays are not image or label data');
  if (typeof fortran !== 'boolean') return fail('malformed .npy header (fortran_order is not True or False)');
  if (!Array.isArray(shapeValue)) return fail('malformed .npy header (shape is not a tuple)');
  const shape: number[] = [];
  for (const dim of shapeValue) {
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0) return fail(`malformed .npy header (bad shape dimension ${String(dim)})`);
    shape.push(dim);
  }
  const { dtype, littleEndian } = readDescr(descr, fail);
  return { dtype, littleEndian, fortranOrder: fortran, shape };
}

/** Names the dtypes users actually meet, so the message says what was found, not just "unsupported". */
function readDescr(descr: string, fail: (problem: string) => never): { dtype: NpyDtype; littleEndian: boolean } {
  const match = /^([<>|=]?)([a-zA-Z])(\d*)(.*)$/.exec(descr);
  if (!match) return fail(`unsupported dtype '${descr}'`);
  const [, order, kind, size, rest] = match;
  const code = `${kind}${size}`;
  if (kind === 'O') return fail(`unsupported dtype '${descr}': object arrays (pickled Python objects) are not read`);
  if (kind === 'U' || kind === 'S' || kind === 'a') return fail(`unsupported dtype '${descr}': strings are not image or label data`);
  if (kind === 'c') return fail(`unsupported dtype '${descr}': complex numbers are not image or label data`);
  if (kind === 'V') return fail(`unsupported dtype '${descr}': void/structured arrays are not image or label data`);
  if (kind === 'M' || kind === 'm') return fail(`unsupported dtype '${descr}': dates and time deltas are not image or label data`);
  if (rest !== '' || !(code in CTORS)) return fail(`unsupported dtype '${descr}'`);
  // '=' is the writer's native order; .npy writers resolve it, but when one did not, it was almost surely little-endian.
  return { dtype: code as NpyDtype, littleEndian: order !== '>' };
}

/** Byte-swaps when the file's order is not the host's, copies when the view would be misaligned or shared memory is wanted. */
function toNative(raw: Uint8Array, Ctor: Ctor, count: number, nativeOrder: boolean, shared: boolean): NpyData {
  const itemSize = Ctor.BYTES_PER_ELEMENT;
  const aligned = raw.byteOffset % itemSize === 0;
  const alreadyShared = raw.buffer instanceof SharedArrayBuffer;
  if (nativeOrder && aligned && (!shared || alreadyShared)) return new Ctor(raw.buffer, raw.byteOffset, count);
  const target = new Uint8Array(shared ? new SharedArrayBuffer(raw.length) : new ArrayBuffer(raw.length));
  if (nativeOrder) {
    target.set(raw);
  } else {
    for (let i = 0; i < raw.length; i += itemSize) {
      for (let j = 0; j < itemSize; j++) target[i + j] = raw[i + itemSize - 1 - j];
    }
  }
  return new Ctor(target.buffer, 0, count);
}

function widenFloat16(halves: Uint16Array, shared: boolean): Float32Array {
  const out = new Float32Array(shared ? new SharedArrayBuffer(halves.length * 4) : new ArrayBuffer(halves.length * 4));
  for (let i = 0; i < halves.length; i++) out[i] = float16ToFloat32(halves[i]);
  return out;
}

/**
 * Fortran order stores the FIRST index fastest. Walking the C-order output with an odometer and
 * tracking the matching Fortran offset keeps this one pass, whatever the rank.
 */
function fortranToC<T extends NpyData>(data: T, shape: number[], shared: boolean): T {
  const count = data.length;
  const Ctor = data.constructor as Ctor;
  const out = new Ctor(shared ? new SharedArrayBuffer(count * Ctor.BYTES_PER_ELEMENT) : new ArrayBuffer(count * Ctor.BYTES_PER_ELEMENT)) as T;
  const rank = shape.length;
  if (rank <= 1 || count === 0 || shape.filter((d) => d !== 1).length <= 1) {
    (out as unknown as { set(a: T): void }).set(data);
    return out;
  }
  const fStride = new Array<number>(rank);
  fStride[0] = 1;
  for (let k = 1; k < rank; k++) fStride[k] = fStride[k - 1] * shape[k - 1];
  const index = new Array<number>(rank).fill(0);
  const src = data as unknown as ArrayLike<number> & { [i: number]: number };
  const dst = out as unknown as { [i: number]: number };
  let f = 0;
  for (let c = 0; c < count; c++) {
    dst[c] = src[f];
    // Advance the C-order odometer: the LAST index moves fastest.
    for (let k = rank - 1; k >= 0; k--) {
      index[k]++;
      f += fStride[k];
      if (index[k] < shape[k]) break;
      f -= fStride[k] * shape[k];
      index[k] = 0;
    }
  }
  return out;
}

/** An element as a number, refused past 2^53, beyond which an int64 would not keep its value; `where` names it. */
export function exactNumber(v: number | bigint, where: string): number {
  if (typeof v === 'bigint' && (v > 2n ** 53n || v < -(2n ** 53n))) throw new UserError(`${where} is ${v}, past 2^53, beyond which integers are not held exactly`);
  return Number(v);
}
