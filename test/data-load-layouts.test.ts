// loadDataset on every accepted layout and dtype (fixtures by scripts/make_data_fixtures.py):
// values, counts, sizes, divisors, classes, and that everything sits in shared memory.
import { spawnSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Dataset, ImageSet } from '../src/data/dataset.js';
import { loadDataset, loadTestSet, type DataOptions } from '../src/data/load-data.js';
import { temporaryDirectories } from './helpers/cli.js';
import { numpyImportable, PYTHON } from './helpers/python.js';
import { H, N_TEST, N_TRAIN, TEST_BYTES, TEST_LABELS, TRAIN_BYTES, TRAIN_LABELS, W, fixture } from './fixtures/data/expected.js';

type PixelKind = 'Uint8Array' | 'Float32Array' | 'Float64Array';

function expectSet(set: ImageSet, count: number, bytes: number[], labels: number[], kind: PixelKind, divisor: number) {
  expect(set.count).toBe(count);
  expect([set.height, set.width]).toEqual([H, W]);
  expect(set.pixels.constructor.name).toBe(kind);
  expect(set.divisor).toBe(divisor);
  expect(set.pixels.buffer).toBeInstanceOf(SharedArrayBuffer);
  expect(set.labels.buffer).toBeInstanceOf(SharedArrayBuffer);
  expect(set.labels).toBeInstanceOf(Int32Array);
  expect(Array.from(set.labels)).toEqual(labels);
  // Stored values exactly as numpy computed them: bytes, or byte/255 in float64, rounded once for float32.
  const want = bytes.map((b) => (divisor !== 1 ? b : kind === 'Float32Array' ? Math.fround(b / 255) : b / 255));
  expect(Array.from(set.pixels as ArrayLike<number>)).toEqual(want);
}

function expectStandard(d: Dataset, kind: PixelKind, divisor: number) {
  expectSet(d.train, N_TRAIN, TRAIN_BYTES, TRAIN_LABELS, kind, divisor);
  expectSet(d.test, N_TEST, TEST_BYTES, TEST_LABELS, kind, divisor);
  expect(d.classes).toBe(10);
}

const cases: [string, DataOptions, PixelKind, number][] = [
  ["ds_seed.npz: the seed's keys, uint8 (N,H,W), np.savez", { path: fixture('ds_seed.npz') }, 'Uint8Array', 255],
  ["ds_keras.npz: Keras' keys, uint8, np.savez_compressed", { path: fixture('ds_keras.npz') }, 'Uint8Array', 255],
  ['ds_float32_nhwc.npz: float32 (N,H,W,1) in [0,1], int64 labels', { path: fixture('ds_float32_nhwc.npz') }, 'Float32Array', 1],
  ['ds_float64_nchw.npz: float64 (N,1,H,W), int32 labels', { path: fixture('ds_float64_nchw.npz') }, 'Float64Array', 1],
  ['ds_flat.npz: uint8 (N,D=20) with imageSize 4x5, int16 labels', { path: fixture('ds_flat.npz'), imageSize: [4, 5] }, 'Uint8Array', 255],
  ['ds_float_labels.npz: float64 labels that are whole numbers', { path: fixture('ds_float_labels.npz') }, 'Float32Array', 1],
  ['ds_float_0_255.npz: float32 0..255 with pixelDivisor 255', { path: fixture('ds_float_0_255.npz'), pixelDivisor: 255 }, 'Float32Array', 255],
  ['ds_int16_pixels.npz: int16 pixels (one split big-endian) become bytes', { path: fixture('ds_int16_pixels.npz') }, 'Uint8Array', 255],
  [
    'ds_custom_keys.npz: keys given in options',
    { path: fixture('ds_custom_keys.npz'), keys: { trainImages: 'imgs', trainLabels: 'lbls', testImages: 'timgs', testLabels: 'tlbls' } },
    'Uint8Array',
    255,
  ],
  ['idx_raw/: the four MNIST IDX files, raw', { path: fixture('idx_raw') }, 'Uint8Array', 255],
  ['idx_gz/: the four IDX files, .gz', { path: fixture('idx_gz') }, 'Uint8Array', 255],
  ['idx_gz_noext/: gzipped IDX files without .gz in the name (found by magic)', { path: fixture('idx_gz_noext') }, 'Uint8Array', 255],
  ['idx_raw_named_gz/: raw IDX bytes under .gz names (found by magic)', { path: fixture('idx_raw_named_gz') }, 'Uint8Array', 255],
  ['idx_dotted/: train-images.idx3-ubyte spelling', { path: fixture('idx_dotted') }, 'Uint8Array', 255],
  ['npy_dir/: x_train.npy, y_train.npy, x_test.npy, y_test.npy', { path: fixture('npy_dir') }, 'Uint8Array', 255],
];

describe('loadDataset: accepted layouts', () => {
  for (const [name, options, kind, divisor] of cases) {
    it(name, async () => expectStandard(await loadDataset(options), kind, divisor));
  }

  it('ds_bigendian_fortran.npz: >f8 Fortran-order train images, >i8 labels; uint8 Fortran test images, >u2 labels', async () => {
    const d = await loadDataset({ path: fixture('ds_bigendian_fortran.npz') });
    expectSet(d.train, N_TRAIN, TRAIN_BYTES, TRAIN_LABELS, 'Float64Array', 1);
    expectSet(d.test, N_TEST, TEST_BYTES, TEST_LABELS, 'Uint8Array', 255);
  });

  it('classes = the largest training label + 1 (ds_seed.npz: train labels up to 9, test labels 2, 6, 5)', async () => {
    expect((await loadDataset({ path: fixture('ds_seed.npz') })).classes).toBe(10);
  });

  it('pixelDivisor overrides 255 for bytes', async () => {
    expect((await loadDataset({ path: fixture('ds_seed.npz'), pixelDivisor: 256 })).train.divisor).toBe(256);
  });
});

describe.runIf(numpyImportable)('loadDataset: integers past 255 with a pixel divisor (16-bit scans)', () => {
  const fresh = temporaryDirectories('u16-');
  // The same values as uint16, int64 past 2^24 and float32: each is held exactly, as floats.
  const write = (dir: string) => {
    const code = [
      'import sys, numpy as np',
      'r = np.random.RandomState(0)',
      'x, tx, y = r.randint(0, 65536, (6, 4, 5)), r.randint(0, 65536, (3, 4, 5)), np.arange(6) % 3',
      'for name, t in (("u2", np.uint16), ("f4", np.float32)):',
      '    np.savez(f"{sys.argv[1]}/{name}.npz", x_train=x.astype(t), y_train=y, x_test=tx.astype(t), y_test=y[:3])',
      'np.savez(f"{sys.argv[1]}/i8.npz", x_train=x.astype(np.int64) << 10, y_train=y, x_test=tx.astype(np.int64) << 10, y_test=y[:3])',
    ].join('\n');
    const r = spawnSync(PYTHON, ['-c', code, dir], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  };
  it('uint16 loads as the float32 copy of its values; int64 past 2^24 as float64; without a divisor it is refused, naming the fix', async () => {
    const dir = fresh();
    write(dir);
    const u2 = await loadDataset({ path: join(dir, 'u2.npz'), pixelDivisor: 65535 });
    const f4 = await loadDataset({ path: join(dir, 'f4.npz'), pixelDivisor: 65535 });
    expect(u2.train.pixels).toBeInstanceOf(Float32Array);
    expect(u2.train.divisor).toBe(65535);
    expect(Array.from(u2.train.pixels)).toEqual(Array.from(f4.train.pixels));
    expect(Array.from(u2.test.pixels)).toEqual(Array.from(f4.test.pixels));
    const i8 = await loadDataset({ path: join(dir, 'i8.npz'), pixelDivisor: 65535 * 1024 });
    expect(i8.train.pixels).toBeInstanceOf(Float64Array);
    expect(Array.from(i8.train.pixels)).toEqual(Array.from(f4.train.pixels, (v) => v * 1024));
    await expect(loadDataset({ path: join(dir, 'u2.npz') })).rejects.toThrow(/integer pixels of dtype u2 must lie in 0\.\.255 when no pixel divisor is given \(image 0 .*; give a pixel divisor such as 65535 for 16-bit data\)$/);
  });
});

describe('loadTestSet: the test split alone, for eval', () => {
  const fresh = temporaryDirectories('test-only-');
  it('reads an IDX directory that has only the two t10k files, which loadDataset refuses as incomplete', async () => {
    const dir = fresh();
    for (const name of ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) copyFileSync(join(fixture('idx_raw'), name), join(dir, name));
    expectSet((await loadTestSet({ path: dir })).test, N_TEST, TEST_BYTES, TEST_LABELS, 'Uint8Array', 255);
    await expect(loadDataset({ path: dir })).rejects.toThrow(/incomplete IDX dataset, missing train-images-idx3-ubyte\[\.gz\], train-labels-idx1-ubyte\[\.gz\]$/);
  });

  it.runIf(numpyImportable)("reads an .npz that numpy wrote with only Keras' x_test and y_test", async () => {
    const file = join(fresh(), 'test-only.npz');
    const code = 'import sys, numpy as np\nd = np.load(sys.argv[1])\nnp.savez(sys.argv[2], x_test=d["x_test"], y_test=d["y_test"])';
    const r = spawnSync(PYTHON, ['-c', code, fixture('ds_keras.npz'), file], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const read = await loadTestSet({ path: file });
    expectSet(read.test, N_TEST, TEST_BYTES, TEST_LABELS, 'Uint8Array', 255);
    expect(read.source).toBe(file);
    await expect(loadDataset({ path: file })).rejects.toThrow(/missing keys x_train, y_train; expected .*; keys found: x_test, y_test$/);
  });

  it('still needs both test arrays, and says which naming it looked for', async () => {
    await expect(loadTestSet({ path: fixture('ds_seed.npz'), keys: { testLabels: 'nolabels' } })).rejects.toThrow(/missing keys nolabels; keys found: /);
    await expect(loadTestSet({ path: fixture('idx_incomplete') })).rejects.toThrow(/incomplete IDX dataset, missing t10k-labels-idx1-ubyte\[\.gz\]$/);
  });
});
