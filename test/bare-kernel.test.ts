import { beforeAll, expect, it } from 'vitest';
import { type Dataset, takeFirst } from '../src/data/dataset.js';
import { loadEmbeddedMnist } from '../src/data/embedded-mnist.js';
import type { KernelChoice } from '../src/kernels/index.js';
import type { Dtype } from '../src/model/float-array.js';
import { parseDescription } from '../src/model/stack/index.js';
import { Trainer } from '../src/train/trainer.js';
import { trainOptions } from './helpers/train-options.js';

// bench's bare kernel runs on the trainer's own pool threads between its steps: it must compute
// (samples/s > 0 on every thread) and touch nothing the trainer shares.

let data: Dataset;
beforeAll(() => {
  const full = loadEmbeddedMnist();
  data = { ...full, train: takeFirst(full.train, 200), test: takeFirst(full.test, 20) };
});

/** Weights after 4 steps of 20, with the bare kernel run on the pool after the second when `bare`. */
async function weightsAfter(bare: boolean, kernels: KernelChoice, dtype: Dtype): Promise<{ weights: Buffer; rate: number }> {
  const model = { kind: 'stack' as const, layers: parseDescription('conv6k5,relu,maxpool2,flatten,dense') };
  const trainer = await Trainer.create(data, trainOptions({ model, kernels, dtype, threads: 2, batchSize: 20 }));
  const bytes = () => Buffer.from(trainer.params.buffer.slice(trainer.params.byteOffset, trainer.params.byteOffset + trainer.params.byteLength));
  try {
    trainer.setEpochOrder(0);
    let rate = 0;
    for (let s = 0; s < 4; s++) {
      await trainer.stepOfEpoch(s);
      if (bare && s === 1) {
        const before = bytes();
        rate = await trainer.bareKernel(30);
        expect(Buffer.compare(bytes(), before), 'the bare kernel changed the weights').toBe(0);
      }
    }
    return { weights: bytes(), rate };
  } finally {
    await trainer.close();
  }
}

for (const [kernels, dtype] of [['wasm', 'float32'], ['typescript', 'float64']] as [KernelChoice, Dtype][]) {
  it(`${kernels} ${dtype}: the bare kernel on the pool computes, and the training around it is bitwise as without it`, async () => {
    const without = await weightsAfter(false, kernels, dtype);
    const withBare = await weightsAfter(true, kernels, dtype);
    expect(withBare.rate).toBeGreaterThan(0);
    expect(Buffer.compare(withBare.weights, without.weights)).toBe(0);
  });
}
