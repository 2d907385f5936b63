import { describe, expect, it } from 'vitest';
import { SEED_MODEL, type ModelConfig } from '../src/model/config.js';
import { softmaxCrossEntropy } from '../src/model/softmax-cross-entropy.js';
import { expectFiniteDifferences } from './helpers/finite-difference.js';
import { caseName, lcg, makeModel } from './helpers/random-model.js';

const conv = (filters: number, kh: number, kw: number, stride: number) => ({
  filters,
  kernelHeight: kh,
  kernelWidth: kw,
  stride,
});

const cases: ModelConfig[] = [
  // Non-square image, odd sizes, conv2 stride 2 with a remainder row.
  { imageHeight: 11, imageWidth: 8, classes: 3, conv1: conv(3, 3, 2, 1), conv2: conv(2, 3, 2, 2) },
  // Stride 2 in conv1 too, non-square kernels both ways.
  { imageHeight: 13, imageWidth: 10, classes: 4, conv1: conv(2, 2, 3, 2), conv2: conv(3, 2, 3, 1) },
  // Stride 3 leaving a remainder in both directions.
  { imageHeight: 9, imageWidth: 12, classes: 2, conv1: conv(2, 3, 3, 1), conv2: conv(2, 2, 2, 3) },
  // Wide rather than tall, the transposition the seed's conv1 gradient gets wrong.
  { imageHeight: 7, imageWidth: 15, classes: 5, conv1: conv(2, 4, 6, 1), conv2: conv(2, 2, 3, 2) },
];

/** Central differences of one sample's loss against every parameter (or `perTensor` of them per tensor). */
function checkCase(config: ModelConfig, perTensor: number | null): void {
  const { net, params, images, dims } = makeModel(config, 'float64', 7);
  const c = { net, params: params as Float64Array, images, classes: dims.classes, sample: 0, label: 1 % dims.classes };
  expectFiniteDifferences(c, perTensor, lcg(3));
}

describe('per-sample gradient = central finite differences (float64)', () => {
  for (const config of cases) {
    it(caseName(config), () => checkCase(config, null));
  }
  it(caseName({ ...SEED_MODEL, imageHeight: 28, imageWidth: 28, classes: 10 }) + ' (seed model, 40 entries per tensor)', () =>
    checkCase({ ...SEED_MODEL, imageHeight: 28, imageWidth: 28, classes: 10 }, 40));
});

describe('softmax cross-entropy', () => {
  it('logits=[1000,0,-1000] label=1 stays finite (log-sum-exp)', () => {
    const logits = new Float64Array([1000, 0, -1000]);
    const d = new Float64Array(3);
    const loss = softmaxCrossEntropy(d, logits, 1, 3);
    expect(loss).toBe(1000);
    expect(Array.from(d)).toEqual([1, -1, 0]);
  });
  it('float32 logits=[88.8, 0] label=0 does not overflow exp', () => {
    const logits = new Float32Array([88.8, 0, 3e38]);
    const loss = softmaxCrossEntropy(new Float32Array(3), logits, 2, 3);
    expect(loss).toBe(0);
  });
});
