import { beforeAll, describe, expect, it } from 'vitest';
import { type Dataset, takeFirst } from '../src/data/dataset.js';
import { loadEmbeddedMnist } from '../src/data/embedded-mnist.js';
import { createBackend, type KernelChoice } from '../src/kernels/index.js';
import type { Dtype, FloatArray } from '../src/model/float-array.js';
import type { ModelChoice } from '../src/model/model.js';
import { parseDescription } from '../src/model/stack/index.js';
import { SEED_ADAM } from '../src/optim/adam.js';
import type { OptimizerSettings } from '../src/optim/optimizer.js';
import { FAULT_ENV } from '../src/parallel/fault-injection.js';
import { BlockUpdate, createPoolUpdateState, restoreBlocks } from '../src/parallel/pool-update.js';
import { WorkerFault } from '../src/parallel/worker-fault.js';
import { type TrainOptions, Trainer } from '../src/train/trainer.js';
import { trainOptions } from './helpers/train-options.js';

// The pool threads may apply ordinary training's updates themselves, by blocks of coordinates,
// running several steps without the main thread (parallel/pool-update.ts). The weights, the
// faults and the stops must be those of the main thread applying each step.

let data: Dataset;
beforeAll(() => {
  const full = loadEmbeddedMnist();
  data = { ...full, train: takeFirst(full.train, 530), test: takeFirst(full.test, 20) };
});

const stack = (description: string): ModelChoice => ({ kind: 'stack', layers: parseDescription(description) });
const bytesOf = (values: FloatArray) => Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
const adam: OptimizerSettings = { kind: 'adam', ...SEED_ADAM };
const sgd: OptimizerSettings = { kind: 'sgd', lr: 0.05, momentum: 0.9 };

/** A trainer on epoch 0's order, its pool summing (and so applying, where it may) or the main thread. */
async function trainerSummedBy(summing: 'main' | 'pool', options: TrainOptions): Promise<Trainer> {
  const trainer = await Trainer.create(data, { ...options, pool: { summing } });
  trainer.setEpochOrder(0);
  return trainer;
}

/** Weights after `steps` steps applied one at a time by the main thread. */
async function mainWeights(options: TrainOptions, steps: number): Promise<string> {
  const trainer = await trainerSummedBy('main', options);
  try {
    for (let s = 0; s < steps; s++) await trainer.stepOfEpoch(s);
    return bytesOf(trainer.params);
  } finally {
    await trainer.close();
  }
}

describe('an update shared out by blocks', () => {
  const cases: [KernelChoice, Dtype, OptimizerSettings][] = [
    ['wasm', 'float32', adam],
    ['typescript', 'float64', adam],
    ['typescript', 'float32', sgd],
  ];
  for (const [kernels, dtype, settings] of cases) {
    it(`${kernels} ${dtype} ${settings.kind}: the blocks make the whole update, and the blocks of an update that does not stand are undone`, async () => {
      const backend = await createBackend(kernels, dtype);
      const n = 2 * 1024 + 300; // three blocks, the last one short
      const optimizer = backend.optimizer(settings, n, (_name, length) => backend.allocShared(length));
      const [params, mean] = [backend.allocShared(n), backend.allocShared(n)];
      for (let j = 0; j < n; j++) [params[j], mean[j]] = [Math.sin(j), Math.cos(3 * j) / 10];
      optimizer.update(params, mean);
      const state = createPoolUpdateState(backend, optimizer, n);
      const before = [params, ...Object.values(optimizer.buffers)].map(bytesOf);
      const whole = backend.optimizer(settings, n);
      for (const [name, values] of Object.entries(optimizer.buffers)) whole.buffers[name].set(values);
      whole.step = optimizer.step;
      const wholeParams = backend.allocShared(n);
      wholeParams.set(params);
      whole.update(wholeParams, mean);

      const blocks = new BlockUpdate(backend, state, params, mean);
      const all: [number, number][] = [[0, 1024], [1024, 2048], [2048, n]];
      // Update number 7 got through two of its three blocks (a thread failed, or the step was not finite).
      blocks.applyBlock(...all[0], 2, 7);
      blocks.applyBlock(...all[2], 2, 7);
      expect(bytesOf(params)).not.toBe(before[0]);
      restoreBlocks(state, params, 6); // another update's backups: nothing to undo
      expect(bytesOf(params)).not.toBe(before[0]);
      restoreBlocks(state, params, 7);
      expect([params, ...Object.values(optimizer.buffers)].map(bytesOf)).toEqual(before);

      for (const [first, last] of all) blocks.applyBlock(first, last, 2, 8);
      expect(bytesOf(params)).toBe(bytesOf(wholeParams));
      expect(Object.values(optimizer.buffers).map(bytesOf)).toEqual(Object.values(whole.buffers).map(bytesOf));
    });
  }
});

describe('the pool applying the updates gives bitwise the main thread\'s weights', () => {
  const cases: [string, ModelChoice, Dtype, KernelChoice, OptimizerSettings][] = [
    ['opacus-mnist', stack('opacus-mnist'), 'float32', 'wasm', sgd],
    ['an odd stack', stack('conv3k5x3p2x1,tanh,maxpool3x2s1x2,conv4k3s2x1,relu,flatten,dense12,tanh,dense'), 'float64', 'typescript', adam],
  ];
  for (const [name, model, dtype, kernels, optimizer] of cases) {
    it(`${name}, ${kernels} ${dtype}, ${optimizer.kind}: 2 epochs of batches 100 x 5 and 30, several steps at once`, async () => {
      const options = trainOptions({ model, dtype, kernels, optimizer, batchSize: 100, epochs: 2 });
      const weights: string[] = [];
      const losses: number[][] = [];
      for (const summing of ['main', 'pool'] as const) {
        const trainer = await trainerSummedBy(summing, options);
        try {
          expect(trainer.poolApplies).toBe(summing === 'pool');
          const result = await trainer.run();
          expect(result.reports.map((r) => [r.steps, r.samples])).toEqual([[6, 530], [6, 530]]);
          weights.push(bytesOf(trainer.params));
          losses.push(result.reports.map((r) => r.trainLoss));
        } finally {
          await trainer.close();
        }
      }
      expect(weights[1]).toBe(weights[0]);
      expect(losses[1]).toEqual(losses[0]);
    });
  }

  it('batches beyond the gradient slots (a test-only cap) go through them in rounds, on the main thread', async () => {
    const options = trainOptions({ model: stack('opacus-mnist'), kernels: 'wasm', batchSize: 10, maxSlots: 7, optimizer: sgd });
    const weights: string[] = [];
    for (const summing of ['main', 'pool'] as const) {
      const trainer = await trainerSummedBy(summing, options);
      try {
        await trainer.run();
        weights.push(bytesOf(trainer.params));
      } finally {
        await trainer.close();
      }
    }
    expect(weights[1]).toBe(weights[0]);
  });

  it('private training and gradient statistics keep the update on the main thread', async () => {
    const stats = await trainerSummedBy('pool', trainOptions({ gradientStats: true, kernels: 'wasm' }));
    const privacy = { clip: 1, noise: 1, delta: 1e-5, accountant: 'rdp', sampling: 'poisson', secureNoise: false } as const;
    const dp = await trainerSummedBy('pool', trainOptions({ privacy, kernels: 'wasm', optimizer: sgd }));
    try {
      expect([stats.poolApplies, dp.poolApplies]).toEqual([false, false]);
    } finally {
      await Promise.all([stats.close(), dp.close()]);
    }
  });
});

describe('steps the pool runs at once stop where the main thread would', () => {
  const options = trainOptions({ model: stack('opacus-mnist'), kernels: 'wasm', batchSize: 10 });

  it('a stop requested while they run ends them after the step in progress', async () => {
    const trainer = await trainerSummedBy('pool', options);
    try {
      const running = trainer.stepsOfEpoch(0, 40);
      trainer.requestStop();
      expect(await running).toBe(1);
      expect(trainer.optimizer.step).toBe(1);
      expect(bytesOf(trainer.params)).toBe(await mainWeights(options, 1));
    } finally {
      await trainer.close();
    }
  });

  it('runs of steps end at every multiple of onStepEvery, where onStep sees the state of that step', async () => {
    const trainer = await trainerSummedBy('pool', options);
    const seen: number[] = [];
    let atFourteen = '';
    try {
      await trainer.run({
        onStepEvery: 7,
        onStep: (t) => {
          seen.push(t.optimizer.step);
          if (t.optimizer.step === 14) atFourteen = bytesOf(t.params);
        },
      });
    } finally {
      await trainer.close();
    }
    // 530 samples in batches of 10: 53 steps, in runs ending at 7, 14, ..., 49 and the epoch's end.
    expect(seen).toEqual([7, 14, 21, 28, 35, 42, 49, 53]);
    expect(atFourteen).toBe(await mainWeights(options, 14));
  });

  it('a non-finite step is not applied, and the steps before it are', async () => {
    // The seed's network, as the CLI's test of this fault: its logits overflow float32 within a few steps.
    const blowUp = trainOptions({ kernels: 'wasm', batchSize: 10, optimizer: { ...adam, lr: 1e30 } });
    const outcomes: [string, number, string][] = [];
    for (const summing of ['main', 'pool'] as const) {
      const trainer = await trainerSummedBy(summing, blowUp);
      try {
        const error = await trainer.run().then(() => null, (e: unknown) => e);
        expect(error).toBeInstanceOf(Error);
        outcomes.push([(error as Error).message, trainer.optimizer.step, bytesOf(trainer.params)]);
      } finally {
        await trainer.close();
      }
    }
    expect(outcomes[0][0]).toMatch(/^a non-finite (training loss|averaged gradient) at step \d+ /);
    expect(outcomes[0][1]).toBeGreaterThan(0);
    expect(outcomes[1]).toEqual(outcomes[0]);
  });

  it('an update that overflows from a finite gradient (lr 1e39 in float32) is undone on either path, and named', async () => {
    const overflow = trainOptions({ kernels: 'wasm', batchSize: 10, optimizer: { ...adam, lr: 1e39 } });
    const outcomes: [string, number, string, string][] = [];
    for (const summing of ['main', 'pool'] as const) {
      const trainer = await trainerSummedBy(summing, overflow);
      try {
        const before = bytesOf(trainer.params);
        const error = await trainer.run().then(() => null, (e: unknown) => e);
        expect(error).toBeInstanceOf(Error);
        outcomes.push([(error as Error).message, trainer.optimizer.step, bytesOf(trainer.params), before]);
      } finally {
        await trainer.close();
      }
    }
    expect(outcomes[0][0]).toMatch(/^a non-finite update \(the learning rate, or a gradient, too large for the precision\) at step 1 /);
    expect(outcomes[0][1]).toBe(0);
    // Nothing of the step is kept: the parameters are the initial ones, on both paths.
    expect(outcomes[0][2]).toBe(outcomes[0][3]);
    expect(outcomes[1]).toEqual(outcomes[0]);
  });

  describe('a thread that fails midway through its blocks of step 3', () => {
    /** Runs `body` on a trainer whose pool threads (also those started for a retry) fail as `fault` says. */
    async function withFault(fault: string, body: (trainer: Trainer) => Promise<void>): Promise<void> {
      process.env[FAULT_ENV] = fault;
      const trainer = await trainerSummedBy('pool', options);
      try {
        await body(trainer);
      } finally {
        delete process.env[FAULT_ENV];
        await trainer.close();
      }
    }

    it('once: the blocks it applied are undone, the step is retried, and the weights are the main thread\'s', async () => {
      await withFault('throw@3:update', async (trainer) => {
        expect(await trainer.stepsOfEpoch(0, 6)).toBe(3);
        expect(await trainer.stepsOfEpoch(3, 3)).toBe(3);
        expect(bytesOf(trainer.params)).toBe(await mainWeights(options, 6));
      });
    });

    it('once, in a whole epoch: the epoch\'s training loss is also the main thread\'s (each step\'s loss at its place)', async () => {
      const main = await trainerSummedBy('main', options);
      const expected = await main.run().finally(() => main.close());
      await withFault('throw@3:update', async (trainer) => {
        const result = await trainer.run();
        expect(result.reports.map((r) => r.trainLoss)).toEqual(expected.reports.map((r) => r.trainLoss));
        expect(bytesOf(trainer.params)).toBe(bytesOf(main.params));
      });
    });

    it('twice: a WorkerFault, with steps 1 and 2 applied and nothing of step 3', async () => {
      await withFault('throw@3:updatex2', async (trainer) => {
        const error = await trainer.stepsOfEpoch(0, 6).then(() => null, (e: unknown) => e);
        expect(error).toBeInstanceOf(WorkerFault);
        expect((error as Error).message).toMatch(/^step 3 failed twice, the second time on fresh workers: injected fault: the worker threw/);
        expect(trainer.optimizer.step).toBe(2);
        expect(bytesOf(trainer.params)).toBe(await mainWeights(options, 2));
      });
    });
  });
});
