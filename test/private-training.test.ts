import { beforeAll, describe, expect, it } from 'vitest';
import { type Dataset, takeFirst } from '../src/data/dataset.js';
import { loadEmbeddedMnist } from '../src/data/embedded-mnist.js';
import type { KernelChoice } from '../src/kernels/index.js';
import type { Dtype } from '../src/model/float-array.js';
import { deriveStackDims, parseDescription, StackNetwork } from '../src/model/stack/index.js';
import type { ModelChoice } from '../src/model/model.js';
import { Sgd } from '../src/optim/sgd.js';
import { clipSlot } from '../src/privacy/clip.js';
import { expandSlot } from '../src/model/slot-layout.js';
import { SeededNoise } from '../src/privacy/gaussian-noise.js';
import { DpSgd } from '../src/privacy/dp-sgd.js';
import { drawPoissonBatch } from '../src/privacy/poisson-sampling.js';
import { stepStream } from '../src/rng/streams.js';
import { poissonSchedule } from '../src/privacy/poisson-schedule.js';
import type { PrivacySettings } from '../src/privacy/privacy-settings.js';
import { DEFAULT_TRAIN_OPTIONS } from '../src/train/defaults.js';
import { type TrainOptions, Trainer } from '../src/train/trainer.js';
import { trainOptions } from './helpers/train-options.js';

let data: Dataset;
beforeAll(() => {
  const full = loadEmbeddedMnist();
  data = { ...full, train: takeFirst(full.train, 300), test: takeFirst(full.test, 40) };
});

const PRIVACY: PrivacySettings = { clip: 0.5, noise: 1.3, delta: 1e-4, accountant: 'rdp', sampling: 'poisson', secureNoise: false };
const stack = (description: string): ModelChoice => ({ kind: 'stack', layers: parseDescription(description) });
const ODD = stack('conv3k3x2s2p1,tanh,maxpool3s2,conv4k2,relu,flatten,dense');

function privateOptions(overrides: Partial<TrainOptions>): TrainOptions {
  return trainOptions({ model: stack('opacus-mnist'), batchSize: 64, optimizer: { kind: 'sgd', lr: 0.5, momentum: 0.9 }, privacy: PRIVACY, ...overrides });
}

async function train(options: TrainOptions): Promise<{ weights: Buffer; epsilons: number[]; norms: number[]; threadsUsed: number }> {
  const trainer = await Trainer.create(data, options);
  try {
    const { reports } = await trainer.run();
    const p = trainer.params;
    return {
      weights: Buffer.from(p.buffer.slice(p.byteOffset, p.byteOffset + p.byteLength)),
      epsilons: reports.map((r) => r.privacy!.epsilon),
      norms: reports.flatMap((r) => [r.norms!.median, r.norms!.clippedFraction, r.trainLoss]),
      threadsUsed: Math.max(...reports.map((r) => r.timing.samplesByThread.size)),
    };
  } finally {
    await trainer.close();
  }
}

describe('DP-SGD, one epoch by hand: Poisson draws, clipped per-sample gradients, seeded noise, the public divisor, SGD', () => {
  it('float64 reference kernels, 3 steps at rate 1/3 of 40 samples: the trainer gives bitwise the hand-made weights', async () => {
    const small: Dataset = { ...data, train: takeFirst(data.train, 40) };
    const model = stack('conv2k5s3,relu,flatten,dense');
    const options = trainOptions({ model, dtype: 'float64', kernels: 'typescript', batchSize: 16, optimizer: { kind: 'sgd', lr: 0.3, momentum: 0.5 }, privacy: PRIVACY, seed: 5 });
    const trainer = await Trainer.create(small, options);
    let initial: Float64Array;
    try {
      initial = Float64Array.from(trainer.params);
      await trainer.run();
    } finally {
      await trainer.close();
    }
    const dims = deriveStackDims(trainer.model.kind === 'stack' ? trainer.model.spec : (undefined as never));
    const net = new StackNetwork(dims, 'float64');
    const n = initial.length;
    const params = Float64Array.from(initial);
    const sgd = new Sgd({ lr: 0.3, momentum: 0.5 }, 'float64', n);
    const { sampleRate, stepsPerEpoch } = poissonSchedule(40, 16);
    expect(stepsPerEpoch).toBe(3);
    const drawn = new Int32Array(40);
    const slot = new Float64Array(net.slots.length);
    const grad = new Float64Array(n);
    for (let step = 1; step <= stepsPerEpoch; step++) {
      const count = drawPoissonBatch(stepStream(5, 'sampling', step), 40, sampleRate, drawn);
      const sum = new Float64Array(n);
      for (let i = 0; i < count; i++) {
        const image = drawn[i];
        net.sampleGradient(params, small.train, image, small.train.labels[image], slot);
        clipSlot(slot, net.slots, PRIVACY.clip);
        expandSlot(net.slots, slot, grad);
        for (let j = 0; j < n; j++) sum[j] = i === 0 ? grad[j] : sum[j] + grad[j];
      }
      const noise = new Float64Array(n);
      new SeededNoise(5).fill(noise, PRIVACY.noise * PRIVACY.clip, step);
      for (let j = 0; j < n; j++) sum[j] += noise[j];
      sgd.update(params, sum.map((x) => x / (sampleRate * 40)));
    }
    expect(Buffer.compare(Buffer.from(params.buffer), Buffer.from(Float64Array.from(trainer.params).buffer))).toBe(0);
  });
});

describe('DP-SGD is deterministic: weights, epsilon and batch draws', () => {
  const cases: [string, ModelChoice, KernelChoice, Dtype][] = [
    ['opacus-mnist', stack('opacus-mnist'), 'wasm', 'float32'],
    ['an odd stack', ODD, 'wasm', 'float32'],
    ["the seed's network", DEFAULT_TRAIN_OPTIONS.model, 'wasm', 'float32'],
    ['an odd stack', ODD, 'typescript', 'float64'],
  ];
  for (const [name, model, kernels, dtype] of cases) {
    it(`${name}, ${kernels} ${dtype}: 1, 2, 3 and 4 threads and a repeat give bitwise the same weights, norms and epsilon`, async () => {
      const options = privateOptions({ model, kernels, dtype, epochs: 2 });
      const one = await train({ ...options, threads: 1 });
      for (const threads of [2, 3, 4, 2]) {
        const other = await train({ ...options, threads });
        expect(Buffer.compare(other.weights, one.weights), `${threads} threads`).toBe(0);
        expect(other.epsilons).toEqual(one.epsilons);
        expect(other.norms).toEqual(one.norms);
        expect(other.threadsUsed).toBeGreaterThan(1);
      }
    });
  }

  it('a batch larger than the gradient slots, trained in rounds of 7, gives bitwise the weights of one round', async () => {
    const options = privateOptions({ model: ODD, kernels: 'wasm', epochs: 1 });
    const whole = await train(options);
    const rounds = await train({ ...options, maxSlots: 7 });
    expect(Buffer.compare(rounds.weights, whole.weights)).toBe(0);
    expect(rounds.norms).toEqual(whole.norms);
  });

  it('--secure-noise draws noise nobody can replay: two runs differ', async () => {
    const options = privateOptions({ model: ODD, kernels: 'wasm', privacy: { ...PRIVACY, secureNoise: true } });
    const [a, b] = [await train(options), await train(options)];
    expect(Buffer.compare(a.weights, b.weights)).not.toBe(0);
  });

  it('--secure-noise draws the Poisson batches from the same generator: the first step takes other samples', async () => {
    // The first step's per-sample norms are of the initial weights, so only its batch can tell them apart.
    const firstNorms = async (secureNoise: boolean) => {
      const trainer = await Trainer.create(data, privateOptions({ model: ODD, kernels: 'wasm', privacy: { ...PRIVACY, secureNoise } }));
      try {
        trainer.setEpochOrder(0);
        await trainer.stepOfEpoch(0);
        const state = (trainer as unknown as { state: { sampleNorms: Float64Array; batchLosses: Float64Array } }).state;
        return Array.from(state.sampleNorms);
      } finally {
        await trainer.close();
      }
    };
    expect(await firstNorms(false)).toEqual(await firstNorms(false));
    expect(await firstNorms(true)).not.toEqual(await firstNorms(true));
  });
});

describe('the public divisor', () => {
  it('the expected Poisson batch; a shuffled batch its size, or all the samples when it asks for more', () => {
    const noise = new Float64Array(8);
    const shuffle: PrivacySettings = { ...PRIVACY, sampling: 'shuffle' };
    expect(new DpSgd(PRIVACY, 8004, 256, 0, noise).divisor).toBe(250.125);
    expect(new DpSgd(shuffle, 1000, 300, 0, noise).divisor).toBe(300);
    // One batch of the 1,000 samples: dividing it by 3,000 would shrink every step threefold.
    expect(new DpSgd(shuffle, 1000, 3000, 0, noise).divisor).toBe(1000);
  });
});
