// The memory a run needs is counted before anything is allocated: the scratch counts must be what
// the kernels really take, and a run that does not fit is refused in one line naming its parts.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Dataset, takeFirst } from '../src/data/dataset.js';
import { loadEmbeddedMnist } from '../src/data/embedded-mnist.js';
import { Trainer, type TrainOptions } from '../src/train/trainer.js';
import { trainOptions } from './helpers/train-options.js';
import { createWasmBackend, type WasmBackend, WasmNetwork, WasmStackNetwork } from '../src/kernels/wasm/index.js';
import { allocBytes, HEAP_START } from '../src/kernels/wasm/shared-memory.js';
import { deriveDims, SEED_MODEL } from '../src/model/config.js';
import { completeSpec, deriveStackDims, parseDescription, StackNetwork } from '../src/model/stack/index.js';
import { FAULT_ENV } from '../src/parallel/fault-injection.js';
import { checkBenchThreads, checkMemory, checkRunMemory, type MemoryPart, runMemory, type RunSize } from '../src/parallel/run-memory.js';
import { buildModel, modelShape } from '../src/model/model.js';
import { createBackend } from '../src/kernels/index.js';
import { createSharedState } from '../src/parallel/shared-state.js';
import { SettingError } from '../src/util/errors.js';
import { messageForUser } from '../src/cli/setting-flags.js';
import { expectRefused, runCli, temporaryDirectories } from './helpers/cli.js';
import { numpyImportable, PYTHON } from './helpers/python.js';

const ODD = 'conv3k3x2s2x1p1x0,tanh,maxpool3x2s1x2,conv5k2x3s1x2p2x1,relu,flatten,dense13,tanh,dense';
const dimsOf = (text: string, input: readonly [number, number, number] = [3, 17, 19]) =>
  deriveStackDims(completeSpec(parseDescription(text), { input, classes: 7 }));

describe('scratchBytes: what one thread takes', () => {
  it('wasm: the bytes create() takes from the shared memory, for the seed network and two stacks', async () => {
    const backend = await createWasmBackend();
    const taken = (create: () => unknown) => {
      const before = allocBytes(backend.memory, 0);
      create();
      return allocBytes(backend.memory, 0) - before;
    };
    const seed = deriveDims({ ...SEED_MODEL, imageHeight: 28, imageWidth: 28, classes: 10 });
    expect(taken(() => WasmNetwork.create(backend, seed))).toBe(WasmNetwork.scratchBytes(seed));
    for (const dims of [dimsOf('opacus-mnist', [1, 28, 28]), dimsOf(ODD)]) {
      expect(taken(() => WasmStackNetwork.create(backend, dims))).toBe(WasmStackNetwork.scratchBytes(dims));
    }
  });

  it('wasm: a stride past the input takes the scratch of a stride as wide as the input, not one that grows with it', () => {
    const wide = (stride: number) => WasmStackNetwork.scratchBytes(dimsOf(`conv4k3s1x${stride},relu,flatten,dense`, [1, 28, 28]));
    expect(wide(300_000_000)).toBe(wide(28));
    expect(wide(2 ** 40)).toBe(wide(28));
  });

  it('typescript: counted by hand for a small stack', () => {
    // acts: image 25, conv 18, relu 18, logits 10 (flatten aliases); grads: relu's and dense's inputs 18 each, logits 10.
    const dims = deriveStackDims(completeSpec(parseDescription('conv2k3,relu,flatten,dense'), { input: [1, 5, 5], classes: 10 }));
    expect(StackNetwork.scratchBytes(dims, 'float64')).toBe(117 * 8);
    expect(StackNetwork.scratchBytes(dims, 'float32')).toBe(117 * 4);
  });
});

describe('runMemory: what a training run really takes from the wasm memory', () => {
  let data: Dataset;
  beforeAll(() => {
    const full = loadEmbeddedMnist();
    data = { ...full, train: takeFirst(full.train, 60), test: takeFirst(full.test, 10) };
  });
  const model = { kind: 'stack' as const, layers: parseDescription('conv6k5,relu,maxpool2,flatten,dense300,relu,dense') };
  const cases: [string, Partial<TrainOptions>, RunSize][] = [
    ['Adam, the pool applying the updates', {}, { slots: 20, threads: 2, optimizerStates: 2, poolUpdates: true }],
    ['SGD with momentum', { optimizer: { kind: 'sgd', lr: 0.1, momentum: 0.9 } }, { slots: 20, threads: 2, optimizerStates: 1, poolUpdates: true }],
    ['private training', { privacy: { clip: 1, noise: 1, delta: 1e-5, accountant: 'rdp', sampling: 'shuffle', secureNoise: false }, optimizer: { kind: 'sgd', lr: 0.1, momentum: 0 } }, { slots: 20, threads: 2, optimizerStates: 1, poolUpdates: false }],
    ['gradient statistics', { gradientStats: true }, { slots: 20, threads: 2, optimizerStates: 2, poolUpdates: false }],
  ];
  for (const [what, options, size] of cases) {
    it(`${what}: counted within 1 MiB below what a step has allocated`, async () => {
      const trainer = await Trainer.create(data, trainOptions({ model, kernels: 'wasm', threads: 2, batchSize: 20, ...options }));
      try {
        trainer.setEpochOrder(0);
        await trainer.stepOfEpoch(0);
        const backend = (trainer as unknown as { backend: WasmBackend }).backend;
        const allocated = allocBytes(backend.memory, 0) - HEAP_START;
        const counted = runMemory(backend, trainer.model, trainer.shape, size).reduce((sum, p) => sum + p.bytes, 0);
        expect(counted).toBeLessThanOrEqual(allocated);
        expect(allocated - counted).toBeLessThan(2 ** 20);
      } finally {
        await trainer.close();
      }
    });
  }
});

describe('the threads that replace failed ones take over their scratch areas', () => {
  it('a fault and its retry on fresh threads leave the wasm memory as it was, bar a few KiB', async () => {
    const full = loadEmbeddedMnist();
    const data = { ...full, train: takeFirst(full.train, 60), test: takeFirst(full.test, 10) };
    // 64 channels of 28x28 and their gradients: about 800 KiB of scratch a thread.
    const model = { kind: 'stack' as const, layers: parseDescription('conv64k3p1,relu,flatten,dense') };
    const before = process.env[FAULT_ENV];
    process.env[FAULT_ENV] = 'throw@2';
    const trainer = await Trainer.create(data, trainOptions({ model, kernels: 'wasm', threads: 2, batchSize: 20 }));
    try {
      const backend = (trainer as unknown as { backend: WasmBackend }).backend;
      trainer.setEpochOrder(0);
      await trainer.stepOfEpoch(0);
      const afterFirst = allocBytes(backend.memory, 0);
      await trainer.stepOfEpoch(1); // throws on its first attempt; retried on two fresh threads
      await trainer.stepOfEpoch(2);
      const area = backend.scratchBytes(trainer.model);
      expect(area).toBeGreaterThan(700 * 1024);
      expect(allocBytes(backend.memory, 0) - afterFirst).toBeLessThan(area / 8);
    } finally {
      await trainer.close();
      if (before === undefined) delete process.env[FAULT_ENV];
      else process.env[FAULT_ENV] = before;
    }
  });
});

describe("checkRunMemory: the pool threads' own memory against the machine's", () => {
  it('1,024 threads of the seed network fit the wasm memory, but not a machine of 8 GiB', async () => {
    const backend = await createWasmBackend();
    const model = buildModel({ kind: 'seed', options: SEED_MODEL }, { input: [1, 28, 28], classes: 10 });
    const size = { slots: 100, threads: 1024, optimizerStates: 2, poolUpdates: true };
    expect(() => checkRunMemory(backend, model, modelShape(model), size, 'train', 64 * 2 ** 30)).not.toThrow();
    expect(() => checkRunMemory(backend, model, modelShape(model), size, 'train', 8 * 2 ** 30)).toThrow(
      /^this network needs 12\.\d GiB to train, more than this machine's 8\.0 GiB \(.*pool threads' own memory \(12\.0 MiB each x 1024\) 12\.0 GiB\): use fewer threads$/,
    );
  });
});

describe("checkBenchThreads: bench's trainers are alive together", () => {
  it('--threads 512,1024 --dp: six trainers of 3,072 threads take 36 GiB, past a machine of 16 GiB', () => {
    expect(() => checkBenchThreads([512, 1024], 2, 64 * 2 ** 30)).not.toThrow();
    expect(() => checkBenchThreads([512, 1024], 2, 16 * 2 ** 30)).toThrow(
      /^the bench needs 36\.0 GiB to run, more than this machine's 16\.0 GiB \(the pool threads' own memory of its 4 trainers \(12\.0 MiB each x 3072\) 36\.0 GiB\): use fewer or smaller threads counts$/,
    );
  });
});

describe('checkMemory', () => {
  const parts: MemoryPart[] = [
    { what: 'parameters', bytes: 3 * 2 ** 30, setting: 'model', fix: (room) => `fewer parameters (${room} bytes left for them)` },
    { what: 'slots', bytes: 0, setting: 'batchSize', fix: () => 'a smaller batch' },
    { what: 'activations', bytes: 2 ** 30, setting: 'threads', fix: (_room, name) => `fewer ${name('threads')}` },
  ];
  it('fits: nothing to say', () => expect(() => checkMemory(parts, { bytes: 4 * 2 ** 30, what: 'the 4 GiB' }, 'train')).not.toThrow());
  it('past the limit: each part that takes memory, and the fix of the largest, told the room the others leave it', () => {
    expect(() => checkMemory(parts, { bytes: 4 * 2 ** 30 - 1, what: 'the 4 GiB' }, 'train')).toThrow(
      /^this network needs 4\.0 GiB to train, more than the 4 GiB \(parameters 3\.0 GiB, activations 1\.0 GiB\): use fewer parameters \(3221225471 bytes left for them\)$/,
    );
  });
  it('names the settings to change in the words of whoever asks: the CLI with its flags', () => {
    let error: unknown;
    try {
      checkMemory([{ ...parts[2], bytes: 5 * 2 ** 30 }], { bytes: 4 * 2 ** 30, what: 'the 4 GiB' }, 'train');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingError);
    expect((error as SettingError).message).toMatch(/: use fewer threads$/);
    expect(messageForUser(error as SettingError)).toMatch(/: use fewer --threads$/);
  });
});

describe('POSTED_ARRAY_LIMIT: Node posts an array to a pool thread with a 32-bit byte length', () => {
  it('slots of 4 GiB or more in one array are refused before anything is allocated, with the batch that fits', async () => {
    const backend = await createBackend('typescript', 'float64');
    const model = buildModel({ kind: 'stack', layers: parseDescription('conv256k3p1,relu,conv256k3p1,relu,flatten,dense') }, { input: [1, 28, 28], classes: 10 });
    const size = (slots: number) => ({ slots, threads: 2, optimizerStates: 2, poolUpdates: true });
    const machine = 64 * 2 ** 30;
    expect(() => checkRunMemory(backend, model, modelShape(model), size(676), 'train', machine)).not.toThrow();
    expect(() => checkRunMemory(backend, model, modelShape(model), size(1400), 'train', machine)).toThrow(
      /^the array of per-sample gradient slots needs 8\.3 GiB to train, more than the 4 GiB a pool thread can receive in one array \(per-sample gradient slots \(1400 x 793,354 values x 8 bytes\) 8\.3 GiB\): use a smaller batch size \(slots for 676 samples fit\), or dtype float32 \(half the bytes\)$/,
    );
  });

  it('so are image sets of 4 GiB or more', async () => {
    const backend = await createBackend('typescript', 'float64');
    const model = buildModel({ kind: 'seed', options: SEED_MODEL }, { input: [1, 28, 28], classes: 10 });
    const small = takeFirst(loadEmbeddedMnist().train, 10);
    // Only the byte length is read before refusing: no 4 GiB need be allocated to test it.
    const huge = { ...small, count: 1_400_000, pixels: { byteLength: 1_400_000 * 784 * 4 } as unknown as Float32Array };
    expect(() => createSharedState(model, backend, huge, small, modelShape(model), 10)).toThrow(
      /^the training images take 4\.1 GiB, more than the 4 GiB a pool thread can receive in one array: use train count 1369568 or fewer$/,
    );
  });
});

describe.runIf(numpyImportable)('eval counts the activations of its threads', () => {
  const fresh = temporaryDirectories('run-memory-');
  it('weights of 90 parameters whose padded activations need 131 GiB a thread are refused in one line', () => {
    const path = join(fresh(), 'padded.npz');
    const architecture = {
      input: [1, 28, 28],
      classes: 10,
      layers: [{ type: 'conv', out: 4, kernel: 3, padding: 20000 }, { type: 'relu' }, { type: 'maxpool', kernel: 40000 }, { type: 'flatten' }, { type: 'dense', out: 10 }],
    };
    const code = [
      'import sys, numpy as np',
      "w = {'0.weight': np.zeros((4, 1, 3, 3), np.float32), '0.bias': np.zeros(4, np.float32), '4.weight': np.zeros((10, 4), np.float32), '4.bias': np.zeros(10, np.float32)}",
      'np.savez(sys.argv[1], architecture=np.array(sys.argv[2]), **w)',
    ].join('\n');
    expect(spawnSync(PYTHON, ['-c', code, path, JSON.stringify(architecture)]).status).toBe(0);
    expectRefused(runCli(['eval', '--weights', path, '--threads', '2']), /^shardtrain: this network needs 262\.6 GiB to evaluate, .*activations \(131\.3 GiB a thread x 2\) 262\.6 GiB\): use smaller activations/);
  });
});
