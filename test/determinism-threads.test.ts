import { beforeAll, describe, expect, it } from 'vitest';
import { type Dataset, takeFirst } from '../src/data/dataset.js';
import { loadEmbeddedMnist } from '../src/data/embedded-mnist.js';
import type { Dtype } from '../src/model/float-array.js';
import type { KernelChoice } from '../src/kernels/index.js';
import { type ModelChoice } from '../src/model/model.js';
import { parseDescription } from '../src/model/stack/index.js';
import { DEFAULT_TRAIN_OPTIONS } from '../src/train/defaults.js';
import { Trainer } from '../src/train/trainer.js';
import { trainOptions } from './helpers/train-options.js';

let wasmData: Dataset;
let typescriptData: Dataset;
// Two epochs of 250 images (two full batches and a partial one) reshuffle the data between them;
// the TypeScript kernels, 20-40 times slower, take one epoch of 150 (a full batch and a partial one).
const epochsFor = (kernels: KernelChoice) => (kernels === 'wasm' ? 2 : 1);
const dataFor = (kernels: KernelChoice) => (kernels === 'wasm' ? wasmData : typescriptData);
const runOf = (kernels: KernelChoice) => (kernels === 'wasm' ? '2 epochs of 250 samples (batches 100,100,50)' : '1 epoch of 150 samples (batches 100,50)');
beforeAll(() => {
  const full = loadEmbeddedMnist();
  wasmData = { ...full, train: takeFirst(full.train, 250), test: takeFirst(full.test, 60) };
  typescriptData = { ...full, train: takeFirst(full.train, 150), test: takeFirst(full.test, 60) };
});

async function trainedBytes(
  threads: number,
  dtype: Dtype,
  kernels: KernelChoice,
  model: ModelChoice = DEFAULT_TRAIN_OPTIONS.model,
): Promise<{ weights: Uint8Array; losses: number[]; threadsUsed: number }> {
  const trainer = await Trainer.create(dataFor(kernels), trainOptions({ threads, dtype, kernels, model, epochs: epochsFor(kernels), batchSize: 100 }));
  try {
    const { reports } = await trainer.run();
    const params = trainer.params;
    return {
      weights: new Uint8Array(params.buffer.slice(params.byteOffset, params.byteOffset + params.byteLength)),
      losses: reports.flatMap((r) => [r.trainLoss, r.test.loss]),
      threadsUsed: Math.max(...reports.map((r) => r.timing.samplesByThread.size)),
    };
  } finally {
    await trainer.close();
  }
}

describe('same seed and data give bitwise the same weights for any thread count', () => {
  const cases: [Dtype, KernelChoice][] = [
    ['float32', 'wasm'],
    ['float32', 'typescript'],
    ['float64', 'typescript'],
  ];
  for (const [dtype, kernels] of cases) {
    it(`${dtype} ${kernels} kernels: 1, 2, 3 and 4 threads, ${runOf(kernels)}, and a repeat`, async () => {
      const one = await trainedBytes(1, dtype, kernels);
      for (const threads of [2, 3, 4, 2]) {
        const other = await trainedBytes(threads, dtype, kernels);
        expect(Buffer.compare(Buffer.from(other.weights), Buffer.from(one.weights)), `${threads} threads`).toBe(0);
        expect(other.losses).toEqual(one.losses);
        // Otherwise the comparison would prove nothing about sharding.
        expect(other.threadsUsed, `threads that computed samples with ${threads} threads`).toBeGreaterThan(1);
      }
    });
  }
});

describe('layer stacks: bitwise the same weights for any thread count', () => {
  // The Opacus CNN, and an odd stack: non-square kernels and padding, strides that do not divide, overlapping pools, tanh.
  const models = ['opacus-mnist', 'conv3k5x3p2x1,tanh,maxpool3x2s1x2,conv4k3s2x1,relu,flatten,dense12,tanh,dense'];
  for (const description of models) {
    for (const [dtype, kernels] of [['float32', 'wasm'], ['float32', 'typescript'], ['float64', 'typescript']] as const) {
      it(`${description} ${dtype} ${kernels} kernels: 1, 2, 3 and 4 threads, ${runOf(kernels)}, and a repeat`, async () => {
        const model: ModelChoice = { kind: 'stack', layers: parseDescription(description) };
        const one = await trainedBytes(1, dtype, kernels, model);
        for (const threads of [2, 3, 4, 2]) {
          const other = await trainedBytes(threads, dtype, kernels, model);
          expect(Buffer.compare(Buffer.from(other.weights), Buffer.from(one.weights)), `${threads} threads`).toBe(0);
          expect(other.losses).toEqual(one.losses);
          expect(other.threadsUsed, `threads that computed samples with ${threads} threads`).toBeGreaterThan(1);
        }
      });
    }
  }
});
