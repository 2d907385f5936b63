import { availableParallelism } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Dataset, takeFirst } from '../src/data/dataset.js';
import { loadEmbeddedMnist } from '../src/data/embedded-mnist.js';
import type { KernelChoice } from '../src/kernels/index.js';
import type { Dtype } from '../src/model/float-array.js';
import type { ModelChoice } from '../src/model/model.js';
import { parseDescription } from '../src/model/stack/index.js';
import type { PrivacySettings } from '../src/privacy/privacy-settings.js';
import { measureThroughput } from '../src/bench/measure-throughput.js';
import { DEFAULT_TRAIN_OPTIONS } from '../src/train/defaults.js';
import { type TrainOptions, Trainer } from '../src/train/trainer.js';
import { trainOptions } from './helpers/train-options.js';

// Who sums the slots (the main thread while the pool computes, or the pool threads by blocks of
// coordinates afterwards) depends on the machine's cores; the weights must not.

let data: Dataset;
beforeAll(() => {
  const full = loadEmbeddedMnist();
  data = { ...full, train: takeFirst(full.train, 230), test: takeFirst(full.test, 30) };
});

const stack = (description: string): ModelChoice => ({ kind: 'stack', layers: parseDescription(description) });

async function weightsSummedBy(summing: 'main' | 'pool', options: TrainOptions): Promise<{ weights: Buffer; poolSums: boolean }> {
  const trainer = await Trainer.create(data, { ...options, pool: { summing } });
  try {
    await trainer.run();
    const p = trainer.params;
    return { weights: Buffer.from(p.buffer.slice(p.byteOffset, p.byteOffset + p.byteLength)), poolSums: trainer.poolSums };
  } finally {
    await trainer.close();
  }
}

async function expectSameWeights(options: TrainOptions): Promise<void> {
  const main = await weightsSummedBy('main', options);
  const pool = await weightsSummedBy('pool', options);
  expect([main.poolSums, pool.poolSums]).toEqual([false, true]);
  expect(Buffer.compare(pool.weights, main.weights)).toBe(0);
}

describe('slots summed by the pool threads give bitwise the weights of the main thread sum', () => {
  const cases: [string, ModelChoice, Dtype, KernelChoice][] = [
    ['the seed network', DEFAULT_TRAIN_OPTIONS.model, 'float32', 'wasm'],
    ['opacus-mnist', stack('opacus-mnist'), 'float32', 'wasm'],
    ['an odd stack', stack('conv3k5x3p2x1,tanh,maxpool3x2s1x2,conv4k3s2x1,relu,flatten,dense12,tanh,dense'), 'float64', 'typescript'],
  ];
  for (const [name, model, dtype, kernels] of cases) {
    it(`${name}, ${kernels} ${dtype}, 3 threads, batches 100, 100, 30`, async () => {
      await expectSameWeights(trainOptions({ model, dtype, kernels, threads: 3, batchSize: 100, epochs: 2 }));
    });
  }

  it('private training with Poisson batches larger than the slots, summed in rounds from the carried sum', async () => {
    const privacy: PrivacySettings = { clip: 0.5, noise: 1.1, delta: 1e-4, accountant: 'rdp', sampling: 'poisson', secureNoise: false };
    await expectSameWeights(
      trainOptions({ model: stack('opacus-mnist'), kernels: 'wasm', batchSize: 64, maxSlots: 9, optimizer: { kind: 'sgd', lr: 0.5, momentum: 0.9 }, privacy }),
    );
  });
});

it('bench runs say who summed the slots, as asked or by the cores (auto)', async () => {
  const options = trainOptions({ batchSize: 20, kernels: 'wasm' });
  for (const summing of ['main', 'pool'] as const) {
    const run = await measureThroughput(data, { ...options, pool: { summing } }, 1, 2);
    expect(run.summedBy).toBe(summing);
  }
  const auto = await measureThroughput(data, { ...options, threads: 1 }, 0, 1);
  expect(auto.summedBy).toBe(availableParallelism() > 1 ? 'main' : 'pool');
});
