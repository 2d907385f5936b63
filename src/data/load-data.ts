/**
 * `--data PATH`: turns an .npz archive, a directory of the four MNIST IDX files, or a directory of
 * .npy files into a Dataset whose images and labels live once in SharedArrayBuffers.
 *
 * Every bad input is a UserError of one line that starts with the file (and the key inside an
 * archive) and says what is wrong, because the CLI prints only that line.
 */
import { closeSync, openSync, readSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { SettingError, UserError } from '../util/errors.js';
import { toShared, type Dataset, type ImageSet } from './dataset.js';
import { findIdxFiles, isGzip, readIdx, type IdxRole } from './idx.js';
import { parseNpy, type NpyData, type NpyDtype } from './npy.js';
import { openNpz } from './npz.js';

export interface DataOptions {
  /** .npz file, a directory of the four IDX files (each possibly .gz), or a directory of .npy files. */
  path: string;
  /** Array names inside an .npz (or .npy file names without the suffix) when they are not the seed's or Keras'. */
  keys?: { trainImages?: string; trainLabels?: string; testImages?: string; testLabels?: string };
  /** Overrides the automatic choice (255 for uint8, 1 for floats in [0,1]). */
  pixelDivisor?: number;
  /** [height, width]; required for flat (N, D) arrays. */
  imageShape?: [number, number];
}

/**
 * Labels are class indices, and the output layer is classes x 648 weights plus Adam's two moments
 * and one gradient per worker. MNIST-style sets have at most a few thousand classes (EMNIST 62,
 * Kuzushiji-Kanji 3,832); 10,000 is above them all while its output layer still fits easily. A
 * larger label almost always means the wrong array (pixels, ids) was taken for the labels.
 */
export const MAX_CLASSES = 10_000;

type Role = IdxRole;
const ROLES: Role[] = ['trainImages', 'trainLabels', 'testImages', 'testLabels'];

const KEY_SETS: { owner: string; keys: Record<Role, string> }[] = [
  { owner: "the seed's", keys: { trainImages: 'trainimages', trainLabels: 'trainlabels', testImages: 'testimages', testLabels: 'testlabels' } },
  { owner: "Keras'", keys: { trainImages: 'x_train', trainLabels: 'y_train', testImages: 'x_test', testLabels: 'y_test' } },
];

/** One array as read, before it is checked: `file` and `key` (absent for IDX files) name it in messages. */
interface RawArray {
  file: string;
  key?: string;
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

/** Reads one role's array; images are asked for in shared memory so they are never copied again. */
type ReadRole = (role: Role, shared: boolean) => Promise<RawArray>;

export async function loadDataset(options: DataOptions): Promise<Dataset> {
  checkOptions(options);
  const read = await openSource(options);
  // One array at a time, so at most one decompressed member is alive beside the shared copies.
  const train = toImageSet(await read('trainImages', true), await read('trainLabels', false), options, 'training');
  const test = toImageSet(await read('testImages', true), await read('testLabels', false), options, 'test');
  if (train.set.height !== test.set.height || train.set.width !== test.set.width) {
    throw new UserError(
      `${options.path}: training images (${nameOf(train.images)}) are ${train.set.height}x${train.set.width} but test images (${nameOf(test.images)}) are ${test.set.height}x${test.set.width}`,
    );
  }
  checkTestClassesTrained(test.set.labels, train.maxLabel, test.labels);
  return { train: train.set, test: test.set, classes: train.maxLabel + 1, source: resolve(options.path) };
}

/** The classes are the training labels' 0..max; a test label above them would add a class the network never trains. */
function checkTestClassesTrained(labels: Int32Array, trainMax: number, where: RawArray): void {
  const i = labels.findIndex((label) => label > trainMax);
  if (i >= 0) {
    throw new UserError(`${whereOf(where)}: label ${i} is ${labels[i]}, but the training labels go up to ${trainMax}: no training image has class ${labels[i]}`);
  }
}

/** One line for logs and the CLI: where from, how many, what size, how many classes. */
export function describeDataset(d: Dataset): string {
  const pixels = (set: ImageSet) => {
    const type = set.pixels instanceof Uint8Array ? 'uint8' : set.pixels instanceof Float32Array ? 'float32' : 'float64';
    return set.divisor === 1 ? type : `${type}/${set.divisor}`;
  };
  const kinds = pixels(d.train) === pixels(d.test) ? pixels(d.train) : `${pixels(d.train)} train, ${pixels(d.test)} test`;
  return `${d.source}: ${d.train.count} train + ${d.test.count} test images, ${d.train.height}x${d.train.width}, ${d.classes} classes, ${kinds} pixels`;
}

function checkOptions(options: DataOptions): void {
  const d = options.pixelDivisor;
  if (d !== undefined && !(Number.isFinite(d) && d > 0)) throw new UserError(`pixel divisor must be a positive number, got ${d}`);
  const s = options.imageShape;
  if (s !== undefined && !(s.length === 2 && s.every((n) => Number.isSafeInteger(n) && n > 0))) {
    throw new UserError(`image shape must be two positive integers (height, width), got ${s.join('x')}`);
  }
}

function whereOf(a: { file: string; key?: string }): string {
  return a.key === undefined ? a.file : `${a.file}: key '${a.key}'`;
}

function nameOf(a: { file: string; key?: string }): string {
  return a.key === undefined ? basename(a.file) : `'${a.key}'`;
}

// ---------------------------------------------------------------------------------------------
// Sources: which layout the path is, and how to read each role from it.

async function openSource(options: DataOptions): Promise<ReadRole> {
  const { path } = options;
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${path}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : `cannot read (${code})`}`);
  }
  if (isDirectory) return openDirectory(options);
  const head = firstBytes(path, 6);
  const is = (...magic: number[]) => magic.every((b, i) => head[i] === b);
  if (is(0x50, 0x4b)) return openNpzSource(options);
  if (is(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59)) {
    throw new UserError(`${path}: a single .npy array; give an .npz archive or a directory of .npy files holding the four arrays`);
  }
  if (isGzip(head) || is(0, 0, 0x08)) {
    throw new UserError(`${path}: a single IDX file; give the directory holding all four IDX files`);
  }
  throw new UserError(`${path}: neither an .npz archive (zip) nor a directory of IDX or .npy files`);
}

function firstBytes(path: string, n: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const head = new Uint8Array(n);
    readSync(fd, head, 0, n, 0);
    return head;
  } finally {
    closeSync(fd);
  }
}

async function openNpzSource(options: DataOptions): Promise<ReadRole> {
  const archive = await openNpz(options.path);
  const keys = resolveKeys(archive.keys, options, 'keys');
  return async (role, shared) => {
    const key = keys[role];
    return { file: options.path, key, ...(await archive.read(key, { shared })) };
  };
}

function openDirectory(options: DataOptions): ReadRole {
  const dir = options.path;
  const idx = findIdxFiles(dir);
  if (idx) {
    if (options.keys) throw new UserError(`${dir}: array keys apply to .npz archives and .npy directories, not to IDX files`);
    return async (role) => {
      const { shape, data } = readIdx(idx[role], role.endsWith('Images') ? 'images' : 'labels');
      // readIdx always lands in shared memory: labels are small, images need it anyway.
      return { file: idx[role], dtype: 'u1', shape, data };
    };
  }
  const names = readdirSync(dir).filter((n) => n.endsWith('.npy')).map((n) => n.slice(0, -4));
  if (names.length === 0) {
    throw new UserError(
      `${dir}: no dataset in this directory: expected the IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each possibly .gz), or .npy files (trainimages.npy, ... or x_train.npy, ...)`,
    );
  }
  const keys = resolveKeys(names, options, '.npy files');
  return async (role, shared) => {
    const file = join(dir, `${keys[role]}.npy`);
    return { file, ...parseNpy(readFileSync(file), file, { shared }) };
  };
}

/** Options' keys win; otherwise the first known naming whose four arrays are all present. */
function resolveKeys(found: string[], options: DataOptions, what: string): Record<Role, string> {
  const present = new Set(found);
  const candidates = KEY_SETS.map(({ owner, keys }) => {
    const chosen = Object.fromEntries(ROLES.map((r) => [r, options.keys?.[r] ?? keys[r]])) as Record<Role, string>;
    return { owner, chosen, missing: ROLES.map((r) => chosen[r]).filter((k) => !present.has(k)) };
  });
  const complete = candidates.find((c) => c.missing.length === 0);
  if (complete) return complete.chosen;
  const closest = candidates.reduce((a, b) => (b.missing.length < a.missing.length ? b : a));
  const expected = options.keys ? '' : `; expected ${KEY_SETS.map(({ owner, keys }) => `${ROLES.map((r) => keys[r]).join(', ')} (${owner})`).join(' or ')}`;
  throw new UserError(`${options.path}: missing ${what} ${closest.missing.join(', ')}${expected}; ${what} found: ${found.join(', ') || 'none'}`);
}

// ---------------------------------------------------------------------------------------------
// Checks and conversion of one split.

function toImageSet(images: RawArray, labels: RawArray, options: DataOptions, split: string) {
  const { count, height, width } = imageLayout(images, options, split);
  const { pixels, divisor } = toPixels(images, options, height * width, width);
  const { values, maxLabel } = toLabels(labels, split);
  if (values.length !== count) {
    throw new UserError(`${options.path}: ${split} images (${nameOf(images)}) number ${count} but ${split} labels (${nameOf(labels)}) number ${values.length}`);
  }
  const set: ImageSet = { pixels, labels: values, count, height, width, divisor };
  return { set, images, labels, maxLabel };
}

/** (N,H,W), (N,H,W,1) and (N,1,H,W) share one memory layout; (N,D) needs the user's H and W. */
function imageLayout(a: RawArray, options: DataOptions, split: string): { count: number; height: number; width: number } {
  const fail = (problem: string): never => {
    throw new UserError(`${whereOf(a)}: ${problem}`);
  };
  const s = a.shape;
  const shapeText = `(${s.join(', ')})`;
  let layout: { count: number; height: number; width: number };
  if (s.length === 3) layout = { count: s[0], height: s[1], width: s[2] };
  else if (s.length === 4 && s[3] === 1) layout = { count: s[0], height: s[1], width: s[2] };
  else if (s.length === 4 && s[1] === 1) layout = { count: s[0], height: s[2], width: s[3] };
  else if (s.length === 4) return fail(`images of shape ${shapeText} have ${Math.min(s[1], s[3])} channels; only grayscale (one channel) is supported`);
  else if (s.length === 2) {
    const shape = options.imageShape;
    if (!shape) throw new SettingError('imageShape', (name) => `${whereOf(a)}: flat images of shape ${shapeText} need ${name('imageShape')} HxW (with H*W = ${s[1]})`);
    if (shape[0] * shape[1] !== s[1]) return fail(`image shape ${shape[0]}x${shape[1]} does not fit flat images of shape ${shapeText} (${shape[0] * shape[1]} != ${s[1]})`);
    layout = { count: s[0], height: shape[0], width: shape[1] };
  } else return fail(`images must have shape (N, H, W), (N, H, W, 1), (N, 1, H, W) or (N, D), not ${shapeText}`);
  const given = options.imageShape;
  if (given && s.length !== 2) {
    throw new SettingError('imageShape', (name) => `${whereOf(a)}: images of shape ${shapeText} are not flat, so ${name('imageShape')} ${given[0]}x${given[1]} would do nothing; leave it out`);
  }
  if (layout.count === 0) fail(`no images: the ${split} set is empty (shape ${shapeText})`);
  if (layout.height === 0 || layout.width === 0) fail(`images of ${layout.height}x${layout.width} pixels are empty (shape ${shapeText})`);
  return layout;
}

/** Bytes stay bytes (divisor 255); floats stay floats and must be finite, and in [0,1] unless a divisor says otherwise. */
function toPixels(a: RawArray, options: DataOptions, imageSize: number, width: number): { pixels: Uint8Array | Float32Array | Float64Array; divisor: number } {
  const given = options.pixelDivisor;
  const data = a.data;
  const at = (i: number) => pixelAt(i, imageSize, width);
  if (a.dtype === 'u1') return { pixels: inShared(data as Uint8Array), divisor: given ?? 255 };
  if (data instanceof Float32Array || data instanceof Float64Array) {
    checkFloatPixels(a, data, given === undefined, at);
    return { pixels: inShared(data), divisor: given ?? 1 };
  }
  // Other integer types (int16/int64 exports of 0..255 data, booleans) become bytes, checked to fit.
  const bytes = new Uint8Array(new SharedArrayBuffer(data.length));
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (v < 0 || v > 255) throw new UserError(`${whereOf(a)}: integer pixels of dtype ${a.dtype} must lie in 0..255 (${at(i)} is ${v})`);
    bytes[i] = v;
  }
  return { pixels: bytes, divisor: given ?? (a.dtype === 'b1' ? 1 : 255) };
}

function checkFloatPixels(a: RawArray, data: Float32Array | Float64Array, needUnitRange: boolean, at: (i: number) => string): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) throw new UserError(`${whereOf(a)}: ${at(i)} is ${v} (pixels must be finite)`);
    if (needUnitRange && (v < 0 || v > 1)) {
      throw new UserError(`${whereOf(a)}: float pixels must lie in [0, 1] when no pixel divisor is given, but ${at(i)} is ${v} (set the pixel divisor, e.g. 255 for 0..255 data)`);
    }
  }
}

/** "image 3 row 2 column 17" lets the user find the value; a flat index would not. */
function pixelAt(flatIndex: number, imageSize: number, width: number): string {
  const inImage = flatIndex % imageSize;
  return `image ${Math.floor(flatIndex / imageSize)} row ${Math.floor(inImage / width)} column ${inImage % width}`;
}

function toLabels(a: RawArray, split: string): { values: Int32Array; maxLabel: number } {
  const fail = (problem: string): never => {
    throw new UserError(`${whereOf(a)}: ${problem}`);
  };
  const s = a.shape;
  if (s.length === 2 && s[1] > 1) fail(`labels of shape (${s.join(', ')}) look one-hot; give class indices of shape (N,)`);
  if (!(s.length === 1 || (s.length === 2 && s[1] === 1))) fail(`labels must have shape (N,), not (${s.join(', ')})`);
  if (s[0] === 0) fail(`no labels: the ${split} set is empty`);
  const values = new Int32Array(new SharedArrayBuffer(s[0] * 4));
  let maxLabel = 0;
  const data = a.data;
  for (let i = 0; i < values.length; i++) {
    const raw = data[i];
    // BigInt labels are compared as BigInt first so a huge int64 is reported, not rounded.
    const v = typeof raw === 'bigint' ? (raw > BigInt(MAX_CLASSES) ? MAX_CLASSES : raw < -1n ? -1 : Number(raw)) : raw;
    if (Number.isNaN(v) || !Number.isFinite(v)) fail(`label ${i} is ${v}, not a class index`);
    if (!Number.isInteger(v)) fail(`label ${i} is ${v}, not a whole number`);
    if (v < 0) fail(`label ${i} is ${typeof raw === 'bigint' ? raw : v}: labels must not be negative`);
    if (v >= MAX_CLASSES) fail(`label ${i} is ${raw}: at most ${MAX_CLASSES} classes (labels 0..${MAX_CLASSES - 1}) are supported`);
    values[i] = v;
    if (v > maxLabel) maxLabel = v;
  }
  return { values, maxLabel };
}

/** Arrays read with `shared` are already in shared memory; anything else is copied there once. */
function inShared<T extends Uint8Array | Float32Array | Float64Array>(a: T): T {
  return a.buffer instanceof SharedArrayBuffer ? a : toShared(a);
}
