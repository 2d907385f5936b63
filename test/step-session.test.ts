import type { Piscina } from 'piscina';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Dataset, takeFirst } from '../src/data/dataset.js';
import { loadEmbeddedMnist } from '../src/data/embedded-mnist.js';
import { epochBatches } from '../src/train/batches.js';
import type { Coordinator } from '../src/parallel/coordinator.js';
import { Trainer } from '../src/train/trainer.js';
import { trainOptions } from './helpers/train-options.js';

let data: Dataset;
beforeAll(() => {
  const full = loadEmbeddedMnist();
  data = { ...full, train: takeFirst(full.train, 300), test: takeFirst(full.test, 50) };
});
const batches = epochBatches(300, 100, false);

// The pool is the coordinator's own; these tests look at it (and break it) from outside on purpose.
const poolOf = (trainer: Trainer): Piscina => (trainer as unknown as { coordinator: Coordinator }).coordinator.workerPool.underlying;

async function trainer(): Promise<Trainer> {
  const t = await Trainer.create(data, trainOptions({ threads: 2, kernels: 'wasm' }));
  t.setEpochOrder(0);
  return t;
}

const bytes = (t: Trainer) => Buffer.from(t.params.buffer, t.params.byteOffset, t.params.byteLength).toString('base64');

describe('training steps run on a session: one piscina task per thread for a run of steps', () => {
  it('3 steps complete no task; evaluation first ends the session (2 tasks), then runs its own (2 more)', async () => {
    const t = await trainer();
    try {
      const before = bytes(t);
      for (const batch of batches) await t.step(batch);
      expect(bytes(t)).not.toBe(before);
      expect(poolOf(t).completed).toBe(0);
      const evaluation = await t.evaluate();
      expect(evaluation.total).toBe(50);
      expect(poolOf(t).completed).toBe(4);
      // The next step starts a new session on the same threads.
      await t.step(batches[0]);
      expect(poolOf(t).completed).toBe(4);
    } finally {
      await t.close();
    }
  });

  it('a thread lost between steps is replaced before evaluation, which then matches a run without the loss', async () => {
    const [broken, intact] = [await trainer(), await trainer()];
    try {
      for (const t of [broken, intact]) for (const batch of batches) await t.step(batch);
      await poolOf(broken).threads[0].terminate();
      const [a, b] = [await broken.evaluate(), await intact.evaluate()];
      expect(a).toEqual(b);
      for (const t of [broken, intact]) await t.step(batches[1]);
      expect(bytes(broken)).toBe(bytes(intact));
    } finally {
      await Promise.all([broken.close(), intact.close()]);
    }
  });
});

describe('the watchdog', () => {
  it('refuses a timeout longer than a timer keeps (Node would fire it after 1 ms and fail every step)', async () => {
    await expect(Trainer.create(data, { ...trainOptions({ threads: 1, kernels: 'wasm' }), pool: { timeoutMs: 2 ** 31 } })).rejects.toThrow(
      /timeoutMs must lie between 1 and 2147483647 \(a timer's limit\), got 2147483648/,
    );
  });
});
