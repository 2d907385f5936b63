// One test per bad input: loadDataset must fail with a one-line UserError (exit code 2) that
// starts with the file (and key) and says what is wrong. Fixtures by scripts/make_data_fixtures.py.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_CLASSES, loadDataset, type DataOptions } from '../src/data/load-data.js';
import { UserError } from '../src/util/errors.js';
import { fixture } from './fixtures/data/expected.js';
import { numpyImportable, PYTHON } from './helpers/python.js';

async function messageOf(options: DataOptions): Promise<string> {
  const e = await loadDataset(options).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(UserError);
  expect((e as UserError).exitCode).toBe(2);
  const message = (e as UserError).message;
  expect(message).not.toContain('\n');
  return message;
}

/** [test name, fixture, extra options, message after "<fixture path>: "] */
type Case = [string, string, Partial<DataOptions>, string | RegExp];

function run(cases: Case[]) {
  for (const [name, file, extra, problem] of cases) {
    it(name, async () => {
      const message = await messageOf({ path: fixture(file), ...extra });
      const prefix = `${fixture(file)}: `;
      expect(message.startsWith(prefix), message).toBe(true);
      const rest = message.slice(prefix.length);
      if (typeof problem === 'string') expect(rest).toBe(problem);
      else expect(rest).toMatch(problem);
    });
  }
}

describe('loadDataset: the path itself', () => {
  run([
    ['missing path', 'no-such-file.npz', {}, 'no such file or directory'],
    ['a text file is not a zip or IDX', 'not_a_zip.npz', {}, 'neither an .npz archive (zip) nor a directory of IDX or .npy files'],
    ['truncated zip', 'truncated.npz', {}, /^corrupted or truncated zip archive \(.+\)$/],
    ['CRC mismatch names the member', 'crc_mismatch.npz', {}, "key 'x': CRC-32 mismatch, the archive is corrupted"],
    ['a single .npy file', 'single_array.npz', {}, 'a single .npy array; give an .npz archive or a directory of .npy files holding the four arrays'],
    ['a single raw IDX file', 'idx_raw/train-images-idx3-ubyte', {}, 'a single IDX file; give the directory holding all four IDX files'],
    ['a single gzipped IDX file', 'idx_gz/t10k-labels-idx1-ubyte.gz', {}, 'a single gzipped IDX file; give the directory holding all four IDX files'],
    ['a gzipped .npy array', 'gzip_not_zip.npz', {}, 'a gzip file, neither of an IDX file nor of an .npz archive; --data takes an .npz archive or a directory of the four IDX files'],
  ]);

  it('a gzipped .npz, and a gzipped tar of the IDX files, say to unpack them (not "a single IDX file")', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gzipped-data-'));
    try {
      const npz = join(dir, 'ds_seed.npz.gz');
      writeFileSync(npz, gzipSync(readFileSync(fixture('ds_seed.npz'))));
      expect(await messageOf({ path: npz })).toBe(`${npz}: a gzipped .npz archive; gunzip it first`);
      const tgz = join(dir, 'idx.tgz');
      const tar = spawnSync('tar', ['czf', tgz, '-C', fixture('idx_raw'), '.'], { encoding: 'utf8' });
      expect(tar.status, tar.stderr).toBe(0);
      expect(await messageOf({ path: tgz })).toBe(`${tgz}: a gzipped tar archive; unpack it, and give the directory of the four IDX files (or the .npz) it holds`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const empty = mkdtempSync(join(tmpdir(), 'empty-data-'));
  afterAll(() => rmSync(empty, { recursive: true, force: true }));

  // Sparse files: 3 GiB announced, a few bytes on disk. Node reads a file whole into at most 2 GiB.
  const huge = mkdtempSync(join(tmpdir(), 'huge-data-'));
  afterAll(() => rmSync(huge, { recursive: true, force: true }));
  const sparse = (path: string, start: number[]) => {
    writeFileSync(path, Buffer.from(start));
    truncateSync(path, 3 * 2 ** 30);
  };
  it('an .npz archive past 2 GiB', async () => {
    const path = join(huge, 'huge.npz');
    sparse(path, [0x50, 0x4b, 0x03, 0x04]);
    expect(await messageOf({ path })).toBe(`${path}: larger than 2 GiB, more than can be read whole`);
  });
  it('a gzipped IDX file past 2 GiB', async () => {
    const idx = join(huge, 'idx');
    cpSync(fixture('idx_gz'), idx, { recursive: true });
    const images = join(idx, 'train-images-idx3-ubyte.gz');
    sparse(images, [0x1f, 0x8b]);
    expect(await messageOf({ path: idx })).toBe(`${images}: larger than 2 GiB, more than can be read whole`);
  });
  it('a directory with neither IDX nor .npy files', async () => {
    expect(await messageOf({ path: empty })).toMatch(new RegExp(`^${empty}: no dataset in this directory: expected the IDX files train-images-idx3-ubyte, .* or \\.npy files`));
  });
});

describe.runIf(numpyImportable)('loadDataset: labels given as one row', () => {
  it('(1, N) is called a row, not one-hot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'row-labels-'));
    try {
      const path = join(dir, 'row.npz');
      const code = 'import sys, numpy as np\nd = dict(np.load(sys.argv[1]))\nd["trainlabels"] = d["trainlabels"][None, :]\nnp.savez(sys.argv[2], **d)';
      const r = spawnSync(PYTHON, ['-c', code, fixture('ds_seed.npz'), path], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(await messageOf({ path })).toBe(`${path}: key 'trainlabels': labels of shape (1, 6) are one row; give class indices of shape (N,), e.g. y.ravel()`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('loadDataset: .npz contents', () => {
  run([
    [
      'missing keys lists the keys found',
      'bad_missing_keys.npz',
      {},
      "missing keys y_test; expected trainimages, trainlabels, testimages, testlabels (the seed's) or x_train, y_train, x_test, y_test (Keras'); keys found: x_train, y_train, x_test",
    ],
    ['a key given in options that is absent', 'ds_seed.npz', { keys: { trainImages: 'imgs' } }, 'missing keys imgs; keys found: trainimages, trainlabels, testimages, testlabels'],
    ['object images', 'bad_object_images.npz', {}, "key 'trainimages': unsupported dtype '|O': object arrays (pickled Python objects) are not read"],
    ['string labels', 'bad_string_labels.npz', {}, "key 'trainlabels': unsupported dtype '<U1': strings are not image or label data"],
    ['complex images', 'bad_complex_images.npz', {}, "key 'x_train': unsupported dtype '<c8': complex numbers are not image or label data"],
    ['element count below the header shape', 'bad_count_header.npz', {}, "key 'trainimages': truncated array data: shape (6, 4, 5) of u1 needs 120 bytes, found 113"],
    ['6 images but 5 labels', 'bad_count_mismatch.npz', {}, "training images ('trainimages') number 6 but training labels ('trainlabels') number 5"],
    ['negative label', 'bad_negative_label.npz', {}, "key 'trainlabels': label 2 is -1: labels must not be negative"],
    ['float label 2.5', 'bad_fractional_label.npz', {}, "key 'testlabels': label 1 is 2.5, not a whole number"],
    ['label 70000 (too many classes)', 'bad_too_many_classes.npz', {}, `key 'trainlabels': label 3 is 70000: at most ${MAX_CLASSES} classes (labels 0..${MAX_CLASSES - 1}) are supported`],
    ['int64 label 2^62 is reported exactly', 'bad_huge_int64_label.npz', {}, /^key 'trainlabels': label 4 is 4611686018427387904: at most/],
    ['one-hot labels (N,10)', 'bad_onehot.npz', {}, "key 'trainlabels': labels of shape (6, 10) look one-hot; give class indices of shape (N,)"],
    ['NaN pixel', 'bad_nan_pixel.npz', {}, "key 'trainimages': image 2 row 1 column 3 is NaN (pixels must be finite)"],
    ['-inf pixel (float64, test split)', 'bad_inf_pixel.npz', {}, "key 'testimages': image 1 row 0 column 0 is -Infinity (pixels must be finite)"],
    [
      'float pixels 0..255 without a divisor',
      'ds_float_0_255.npz',
      {},
      "key 'trainimages': float pixels must lie in [0, 1] when no pixel divisor is given, but image 0 row 0 column 1 is 37 (give a pixel divisor such as 255 for 0..255 data)",
    ],
    ['negative float pixel', 'bad_negative_pixel.npz', {}, /^key 'trainimages': float pixels must lie in \[0, 1\] .* image 0 row 0 column 1 is -0\.5/],
    ['int32 pixel 300', 'bad_int_pixels.npz', {}, "key 'trainimages': integer pixels of dtype i4 must lie in 0..255 when no pixel divisor is given (image 5 row 3 column 4 is 300; give a pixel divisor such as 65535 for 16-bit data)"],
    ['empty training set', 'bad_empty_train.npz', {}, "key 'trainimages': no images: the training set is empty (shape (0, 4, 5))"],
    ['train 4x5 but test 5x4', 'bad_size_mismatch.npz', {}, "training images ('trainimages') are 4x5 but test images ('testimages') are 5x4"],
    // 4 rows and 3 channels: both axes could be RGB(A) channels, so the shape does not say which.
    [
      'channels (N,4,5,3): RGB 4x5 or RGBA 5x3',
      'bad_rgb.npz',
      {},
      "key 'trainimages': images of shape (6, 4, 5, 3) are 4x5 with 3 channels if the channels come last (N, H, W, C), or 5x3 with 4 channels if they come first (N, C, H, W); give channels layout last or first",
    ],
    ['flat (N,D) without imageSize', 'ds_flat.npz', {}, "key 'trainimages': flat images of shape (6, 20) need image size HxW (with H*W = 20)"],
    ['flat (N,D) with a wrong imageSize', 'ds_flat.npz', { imageSize: [5, 5] }, "key 'trainimages': image size 5x5 does not fit flat images of shape (6, 20) (25 != 20)"],
    ['imageSize given for images that are not flat', 'ds_seed.npz', { imageSize: [4, 5] }, "key 'trainimages': images of shape (6, 4, 5) are not flat, so image size 4x5 would do nothing; leave it out"],
    ['a test label no training label reaches (12 over 0..9)', 'bad_unseen_test_label.npz', {}, "key 'testlabels': label 1 is 12, but the training labels go up to 9: no training image has class 12"],
  ]);
});

describe('loadDataset: IDX directories', () => {
  const idx = (dir: string, file: string, problem: string | RegExp): Case => [`${dir}: ${file}`, dir, {}, problem];
  // The message names the file inside the directory, so the prefix is the file's path.
  for (const [dir, file, problem] of [
    ['idx_truncated', 'train-images-idx3-ubyte', 'truncated: the header announces 6 images of 4x5 (120 bytes) but only 110 bytes follow'],
    ['idx_extra_bytes', 'train-labels-idx1-ubyte', '3 unexpected bytes after the 6 labels the header announces'],
    ['idx_swapped', 'train-images-idx3-ubyte', 'holds IDX labels (magic 0x00000801) where images were expected'],
    ['idx_not_idx', 't10k-labels-idx1-ubyte', 'not an IDX file (magic 0x6c616265, expected 0x00000801 for labels)'],
    ['idx_int32', 't10k-images-idx3-ubyte', 'IDX data of type int32 with 3 dimensions (magic 0x00000c03); only unsigned-byte images (0x00000803) are read'],
    ['idx_corrupt_gz', 'train-images-idx3-ubyte', /^corrupted or truncated gzip data \(.+\)$/],
  ] as [string, string, string | RegExp][]) {
    it(`${dir}: ${file}`, async () => {
      const message = await messageOf({ path: fixture(dir) });
      const prefix = `${fixture(join(dir, file))}: `;
      expect(message.startsWith(prefix), message).toBe(true);
      if (typeof problem === 'string') expect(message.slice(prefix.length)).toBe(problem);
      else expect(message.slice(prefix.length)).toMatch(problem);
    });
  }
  // Gzip bombs, written here: a copy of idx_gz whose training images are replaced.
  const bombs = mkdtempSync(join(tmpdir(), 'shardtrain-bomb-'));
  afterAll(() => rmSync(bombs, { recursive: true, force: true }));
  const bomb = (name: string, header: number[], bodyBytes: number): string => {
    const dir = join(bombs, name);
    cpSync(fixture('idx_gz'), dir, { recursive: true });
    const bytes = Buffer.alloc(4 * header.length + bodyBytes);
    header.forEach((word, k) => bytes.writeUInt32BE(word, 4 * k));
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(bytes));
    return dir;
  };
  it('a gzipped IDX file that inflates to far more than its header announces is refused at the announced size', async () => {
    const dir = bomb('longer', [0x0803, 6, 4, 5], 64 * 2 ** 20);
    const message = await messageOf({ path: dir });
    expect(message).toBe(`${join(dir, 'train-images-idx3-ubyte.gz')}: inflates to more than the 136 bytes its header announces`);
  });
  it('a directory where an IDX file or a .npy array should be: one line naming it, not an internal error', async () => {
    const idxDir = join(bombs, 'dir-for-idx');
    cpSync(fixture('idx_raw'), idxDir, { recursive: true });
    rmSync(join(idxDir, 'train-images-idx3-ubyte'));
    mkdirSync(join(idxDir, 'train-images-idx3-ubyte'));
    expect(await messageOf({ path: idxDir })).toBe(`${join(idxDir, 'train-images-idx3-ubyte')}: is a directory, not a file`);
    const npyDir = join(bombs, 'dir-for-npy');
    cpSync(fixture('npy_dir'), npyDir, { recursive: true });
    const member = readdirSync(npyDir).find((n) => n.endsWith('.npy'))!;
    rmSync(join(npyDir, member));
    mkdirSync(join(npyDir, member));
    expect(await messageOf({ path: npyDir })).toBe(`${join(npyDir, member)}: is a directory, not a file`);
  });
  it('a gzipped IDX header that announces more than its gzipped bytes can hold is refused before inflating', async () => {
    const dir = bomb('announces', [0x0803, 100000, 1000, 1000], 0);
    expect(await messageOf({ path: dir })).toMatch(/: the header announces 100000000016 bytes, more than \d+ gzipped bytes can inflate to$/);
  });
  run([
    idx('idx_count_mismatch', '3 images, 2 labels', 'test images (t10k-images-idx3-ubyte) number 3 but test labels (t10k-labels-idx1-ubyte) number 2'),
    idx('idx_size_mismatch', 'train 4x5, test 5x4', 'training images (train-images-idx3-ubyte) are 4x5 but test images (t10k-images-idx3-ubyte) are 5x4'),
    idx('idx_incomplete', 'three of four files', 'incomplete IDX dataset, missing t10k-labels-idx1-ubyte[.gz]'),
    ['keys given for an IDX directory', 'idx_raw', { keys: { trainImages: 'a' } }, 'array keys apply to .npz archives and .npy directories, not to IDX files'],
  ]);
});

describe('loadDataset: options', () => {
  it('pixelDivisor 0', async () => {
    expect(await messageOf({ path: fixture('ds_seed.npz'), pixelDivisor: 0 })).toBe('pixel divisor must be a positive number, got 0');
  });
  it('imageSize 0x4', async () => {
    expect(await messageOf({ path: fixture('ds_seed.npz'), imageSize: [0, 4] })).toBe('image size must be two positive integers (height, width), got 0x4');
  });
});
