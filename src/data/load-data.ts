/**
 * `--data PATH`: turns an .npz archive, a directory of the four MNIST IDX files, or a directory of
 * .npy files into a Dataset whose images and labels live once in SharedArrayBuffers.
 *
 * Every bad input is a UserError of one line that starts with the file (and the key inside an
 * archive) and says what is wrong, because the CLI prints only that line.
 */
import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { basename, join, resolve } from 'node:path';
import { UserError } from '../util/errors.js';
import { imageShapeText, type ChannelsLayout, type Dataset, type ImageSet } from './dataset.js';
import { findIdxFiles, isGzip, readIdx, type IdxRole } from './idx.js';
import { imageShapeOf, type RawArray, toPixels, whereOf } from './image-array.js';
import { parseNpy } from './npy.js';
import { whileReading, whileReadingAsync } from './read-errors.js';
import { readFileAs, readWhole } from './read-whole.js';
import { openNpz } from './npz.js';

export interface DataOptions {
  /** .npz file, a directory of the four IDX files (each possibly .gz), or a directory of .npy files. */
  path: string;
  /** Array names inside an .npz (or .npy file names without the suffix) when they are not the seed's or Keras'. */
  keys?: { trainImages?: string; trainLabels?: string; testImages?: string; testLabels?: string };
  /** Overrides the automatic choice (255 for uint8, 1 for floats in [0,1]). */
  pixelDivisor?: number;
  /** [height, width]; required for flat (N, D) arrays. */
  imageSize?: [number, number];
  /** Where the channel axis of 4-D arrays is, when their shape does not say (image-layout.ts). */
  channelsLayout?: ChannelsLayout;
}

/**
 * Labels are class indices, and the output layer is classes x 648 weights plus Adam's two moments
 * and one gradient per worker. MNIST-style sets have at most a few thousand classes (EMNIST 62,
 * Kuzushiji-Kanji 3,832); 10,000 is above them all while its output layer still fits easily. A
 * larger label almost always means the wrong array (pixels, ids) was taken for the labels.
 */
export const MAX_CLASSES = 10_000;

const FLOAT32_MAX = 3.4028234663852886e38;

type Role = IdxRole;
const ROLES: Role[] = ['trainImages', 'trainLabels', 'testImages', 'testLabels'];
const TEST_ROLES: Role[] = ['testImages', 'testLabels'];

const KEY_SETS: { owner: string; keys: Record<Role, string> }[] = [
  { owner: "the seed's", keys: { trainImages: 'trainimages', trainLabels: 'trainlabels', testImages: 'testimages', testLabels: 'testlabels' } },
  { owner: "Keras'", keys: { trainImages: 'x_train', trainLabels: 'y_train', testImages: 'x_test', testLabels: 'y_test' } },
];

/**
 * Reads one role's array; images are asked for in shared memory so they are never copied again,
 * except colour images stored channel-last, which are reordered into a second shared copy.
 */
type ReadRole = (role: Role, shared: boolean) => Promise<RawArray>;

export async function loadDataset(options: DataOptions): Promise<Dataset> {
  checkOptions(options);
  const read = await openSource(options, ROLES);
  // One array at a time, so at most one decompressed member is alive beside the shared copies.
  const train = toImageSet(await read('trainImages', true), await read('trainLabels', false), options, 'training');
  const test = toImageSet(await read('testImages', true), await read('testLabels', false), options, 'test');
  const [a, b] = [train.set, test.set];
  if (a.channels !== b.channels || a.height !== b.height || a.width !== b.width) {
    // Gray against colour reads better as 1x5x6 against 3x5x6 than as 5x6 against 3x5x6.
    const size = (set: ImageSet) => (a.channels === b.channels ? imageShapeText(set) : `${set.channels}x${set.height}x${set.width}`);
    throw new UserError(`${options.path}: training images (${nameOf(train.images)}) are ${size(a)} but test images (${nameOf(test.images)}) are ${size(b)}`);
  }
  checkTestClassesTrained(test.set.labels, train.maxLabel, test.labels);
  if (options.pixelDivisor !== undefined) checkInputsFit(options.pixelDivisor, [train, test]);
  return { train: train.set, test: test.set, classes: train.maxLabel + 1, source: resolve(options.path) };
}

/** The test split alone, for evaluating saved weights: a file without training arrays is enough. */
export async function loadTestSet(options: DataOptions): Promise<{ test: ImageSet; source: string }> {
  checkOptions(options);
  const read = await openSource(options, TEST_ROLES);
  const test = toImageSet(await read('testImages', true), await read('testLabels', false), options, 'test');
  if (options.pixelDivisor !== undefined) checkInputsFit(options.pixelDivisor, [test]);
  return { test: test.set, source: resolve(options.path) };
}

/**
 * A divisor small enough to carry pixels past float32's largest number hands a float32 network
 * infinities, which its ReLUs turn into zeros: the run would go on and report nonsense. The limit
 * holds in float64 too, so that data and divisor that load run in either precision.
 */
function checkInputsFit(divisor: number, sets: { set: ImageSet; images: RawArray }[]): void {
  for (const { set, images } of sets) {
    let largest = 0;
    for (let i = 0; i < set.pixels.length; i++) largest = Math.max(largest, Math.abs(set.pixels[i]));
    if (largest / divisor > FLOAT32_MAX) {
      throw new UserError(`${whereOf(images)}: pixel divisor ${divisor} makes its largest pixel, ${largest}, into ${largest / divisor}, past float32's largest number (3.4e38), the inputs' limit in either precision`);
    }
  }
}

/** The classes are the training labels' 0..max; a test label above them would add a class the network never trains. */
function checkTestClassesTrained(labels: Int32Array, trainMax: number, where: RawArray): void {
  const i = labels.findIndex((label) => label > trainMax);
  if (i >= 0) {
    throw new UserError(`${whereOf(where)}: label ${i} is ${labels[i]}, but the training labels go up to ${trainMax}: no training image has class ${labels[i]}`);
  }
}

function checkOptions(options: DataOptions): void {
  const d = options.pixelDivisor;
  if (d !== undefined && !(Number.isFinite(d) && d > 0)) throw new UserError(`pixel divisor must be a positive number, got ${d}`);
  const s = options.imageSize;
  if (s !== undefined && !(s.length === 2 && s.every((n) => Number.isSafeInteger(n) && n > 0))) {
    throw new UserError(`image size must be two positive integers (height, width), got ${s.join('x')}`);
  }
  const l = options.channelsLayout;
  if (l !== undefined && l !== 'first' && l !== 'last') throw new UserError(`channels layout must be 'first' or 'last', got ${String(l)}`);
}

function nameOf(a: { file: string; key?: string }): string {
  return a.key === undefined ? basename(a.file) : `'${a.key}'`;
}

// ---------------------------------------------------------------------------------------------
// Sources: which layout the path is, and how to read each role from it.

/** How to read `roles` from the path, whose layout says where each one is; the other roles may be absent. */
async function openSource(options: DataOptions, roles: Role[]): Promise<ReadRole> {
  const { path } = options;
  const stats = whileReading(path, () => statSync(path));
  if (stats.isDirectory()) return openDirectory(options, roles);
  // A pipe (--data <(...)) cannot be read twice: read whole, it is recognised and opened from memory.
  const whole = stats.isFile() ? undefined : await readFileAs(path, 'an .npz archive');
  const head = whole ?? whileReading(path, () => firstBytes(path, 6));
  const is = (...magic: number[]) => magic.every((b, i) => head[i] === b);
  if (is(0x50, 0x4b)) return openNpzSource(options, roles, whole);
  if (is(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59)) {
    throw new UserError(`${path}: a single .npy array; give an .npz archive or a directory of .npy files holding the four arrays`);
  }
  if (is(0, 0, 0x08)) throw new UserError(`${path}: a single IDX file; give the directory holding all four IDX files`);
  if (isGzip(head)) throw new UserError(`${path}: ${gzippedWhat(whole ?? whileReading(path, () => firstBytes(path, 65536)))}`);
  throw new UserError(`${path}: neither an .npz archive (zip) nor a directory of IDX or .npy files`);
}

/** What a gzip file given as --data holds, told by the start of its contents. */
function gzippedWhat(start: Uint8Array): string {
  let inside: Uint8Array;
  try {
    inside = gunzipSync(start, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  } catch {
    return 'a gzip file that does not inflate; --data takes an .npz archive or a directory of the four IDX files';
  }
  const ascii = (from: number, to: number) => String.fromCharCode(...inside.subarray(from, to));
  if (inside[0] === 0 && inside[1] === 0 && inside[2] === 0x08) return 'a single gzipped IDX file; give the directory holding all four IDX files';
  if (ascii(0, 2) === 'PK') return 'a gzipped .npz archive; gunzip it first';
  if (ascii(257, 262) === 'ustar') return 'a gzipped tar archive; unpack it, and give the directory of the four IDX files (or the .npz) it holds';
  return 'a gzip file, neither of an IDX file nor of an .npz archive; --data takes an .npz archive or a directory of the four IDX files';
}

function firstBytes(path: string, n: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const head = new Uint8Array(n);
    return head.subarray(0, readSync(fd, head, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

async function openNpzSource(options: DataOptions, roles: Role[], bytes?: Uint8Array): Promise<ReadRole> {
  const archive = await openNpz(options.path, bytes);
  const keys = resolveKeys(archive.keys, options, 'keys', roles);
  return async (role, shared) => {
    const key = keys[role];
    return { file: options.path, key, ...(await archive.read(key, { shared })) };
  };
}

function openDirectory(options: DataOptions, roles: Role[]): ReadRole {
  const dir = options.path;
  const idx = whileReading(dir, () => findIdxFiles(dir, roles));
  if (idx) {
    if (options.keys) throw new UserError(`${dir}: array keys apply to .npz archives and .npy directories, not to IDX files`);
    return async (role) => {
      const { shape, data } = readIdx(idx[role], role.endsWith('Images') ? 'images' : 'labels');
      // readIdx always lands in shared memory: labels are small, images need it anyway.
      return { file: idx[role], dtype: 'u1', shape, data };
    };
  }
  const names = whileReading(dir, () => readdirSync(dir)).filter((n) => n.endsWith('.npy')).map((n) => n.slice(0, -4));
  if (names.length === 0) {
    throw new UserError(
      `${dir}: no dataset in this directory: expected the IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each possibly .gz), or .npy files (trainimages.npy, ... or x_train.npy, ...)`,
    );
  }
  const keys = resolveKeys(names, options, '.npy files', roles);
  return async (role, shared) => {
    const file = join(dir, `${keys[role]}.npy`);
    return { file, ...parseNpy(await whileReadingAsync(file, () => readWhole(file)), file, { shared }) };
  };
}

/** Options' keys win; otherwise the first known naming whose arrays for `roles` are all present. */
function resolveKeys(found: string[], options: DataOptions, what: string, roles: Role[]): Record<Role, string> {
  const present = new Set(found);
  const candidates = KEY_SETS.map(({ owner, keys }) => {
    const chosen = Object.fromEntries(ROLES.map((r) => [r, options.keys?.[r] ?? keys[r]])) as Record<Role, string>;
    return { owner, chosen, missing: roles.map((r) => chosen[r]).filter((k) => !present.has(k)) };
  });
  const complete = candidates.find((c) => c.missing.length === 0);
  if (complete) return complete.chosen;
  const closest = candidates.reduce((a, b) => (b.missing.length < a.missing.length ? b : a));
  const expected = options.keys ? '' : `; expected ${KEY_SETS.map(({ owner, keys }) => `${roles.map((r) => keys[r]).join(', ')} (${owner})`).join(' or ')}`;
  throw new UserError(`${options.path}: missing ${what} ${closest.missing.join(', ')}${expected}; ${what} found: ${found.join(', ') || 'none'}`);
}

// ---------------------------------------------------------------------------------------------
// Checks and conversion of one split.

function toImageSet(images: RawArray, labels: RawArray, options: DataOptions, split: string) {
  const shape = imageShapeOf(images, options, split);
  const { pixels, divisor } = toPixels(images, options, shape);
  const { count, channels, height, width } = shape;
  const { values, maxLabel } = toLabels(labels, split);
  if (values.length !== count) {
    throw new UserError(`${options.path}: ${split} images (${nameOf(images)}) number ${count} but ${split} labels (${nameOf(labels)}) number ${values.length}`);
  }
  const set: ImageSet = { pixels, labels: values, count, channels, height, width, divisor };
  return { set, images, labels, maxLabel };
}

function toLabels(a: RawArray, split: string): { values: Int32Array; maxLabel: number } {
  const fail = (problem: string): never => {
    throw new UserError(`${whereOf(a)}: ${problem}`);
  };
  const s = a.shape;
  if (s.length === 2 && s[0] === 1 && s[1] > 1) fail(`labels of shape (1, ${s[1]}) are one row; give class indices of shape (N,), e.g. y.ravel()`);
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
