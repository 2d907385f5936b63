// A stop asked for finishes the step in flight; one asked for during the last step lets the run
// end as it would have (README: "A signal after the last step lets the run end as it would have").
import { describe, expect, it } from 'vitest';
import { takeFirst } from '../src/data/dataset.js';
import { loadEmbeddedMnist } from '../src/data/embedded-mnist.js';
import { Trainer } from '../src/train/trainer.js';
import { trainOptions } from './helpers/train-options.js';

const full = loadEmbeddedMnist();
const data = { ...full, train: takeFirst(full.train, 300), test: takeFirst(full.test, 30) };
// 300 samples in batches of 100: 3 steps an epoch, 6 in all.
const options = trainOptions({ epochs: 2, batchSize: 100, kernels: 'wasm' });

async function stoppedAt(step: number) {
  const trainer = await Trainer.create(data, options);
  try {
    const result = await trainer.run({
      onStepEvery: 1,
      onStep: (t) => {
        if (t.optimizer.step === step) t.requestStop();
      },
    });
    return { result, steps: trainer.optimizer.step };
  } finally {
    await trainer.close();
  }
}

describe('Trainer.requestStop', () => {
  it('mid-run: the run returns interrupted after the step in flight, the epoch unreported', async () => {
    const { result, steps } = await stoppedAt(4);
    expect(result.interrupted).toBe(true);
    expect(steps).toBe(4);
    expect(result.reports.map((r) => r.epoch)).toEqual([1]);
  });

  it('during the last step: the run ends as it would have, both epochs evaluated and reported', async () => {
    const { result, steps } = await stoppedAt(6);
    expect(result.interrupted).toBe(false);
    expect(steps).toBe(6);
    expect(result.reports.map((r) => r.epoch)).toEqual([1, 2]);
    expect(result.reports[1].test.total).toBe(30);
  });
});
