import { describe, expect, it } from 'vitest';
import { createBackend, type KernelChoice } from '../src/kernels/index.js';
import type { Dtype } from '../src/model/float-array.js';
import { SEED_ADAM } from '../src/optim/adam.js';
import type { OptimizerSettings } from '../src/optim/optimizer.js';

// An optimizer's update says whether every value it wrote is finite: the trainer undoes a step on
// that answer alone (train/step-runner.ts, parallel/pool-update.ts), so each implementation must
// see a value that is not finite wherever it lands, in the wasm kernel's vectors and in its tail.

const adam: OptimizerSettings = { kind: 'adam', ...SEED_ADAM };
const sgd: OptimizerSettings = { kind: 'sgd', lr: 0.05, momentum: 0.9 };
const N = 35; // eight whole vectors and a tail of three

const cases: [KernelChoice, Dtype, OptimizerSettings][] = [
  ['wasm', 'float32', adam],
  ['wasm', 'float32', sgd],
  ['typescript', 'float32', adam],
  ['typescript', 'float64', adam],
  ['typescript', 'float64', sgd],
];

describe.each(cases)('%s %s: an update reports values it made that are not finite', (kernels, dtype, settings) => {
  async function updated(change: (grad: Float32Array | Float64Array) => void, lr = settings.lr, first = 0, last = N) {
    const backend = await createBackend(kernels, dtype);
    const optimizer = backend.optimizer({ ...settings, lr }, N, (_name, length) => backend.allocShared(length));
    const [params, grad] = [backend.allocShared(N), backend.allocShared(N)];
    for (let j = 0; j < N; j++) [params[j], grad[j]] = [Math.sin(j), Math.cos(3 * j) / 10];
    change(grad);
    return optimizer.updateBlock(params, grad, first, last, 1);
  }

  it('finite gradients: finite', async () => {
    expect(await updated(() => {})).toBe(true);
  });

  for (const at of [5, N - 1]) {
    it(`a NaN or infinite gradient at ${at} (${at < 32 ? 'a vector' : 'the tail'}): not finite`, async () => {
      expect(await updated((grad) => (grad[at] = Number.NaN))).toBe(false);
      expect(await updated((grad) => (grad[at] = Number.NEGATIVE_INFINITY))).toBe(false);
    });
  }

  it('a block that leaves the bad coordinate out: finite', async () => {
    expect(await updated((grad) => (grad[N - 1] = Number.NaN), settings.lr, 0, 32)).toBe(true);
  });

  if (dtype === 'float32') {
    it('a finite gradient whose update overflows float32: not finite', async () => {
      expect(await updated(() => {}, 1e40)).toBe(false);
      if (settings.kind === 'adam') expect(await updated((grad) => (grad[33] = 1e21))).toBe(false);
    });
  }
});
