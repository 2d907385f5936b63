import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEmbeddedMnist } from '../src/data/embedded-mnist.js';
import { openNpz } from '../src/data/npz.js';
import { allocFloat } from '../src/model/float-array.js';
import { completeSpec, deriveStackDims, parseSpecJson, StackNetwork } from '../src/model/stack/index.js';
import { howItEnded, runCli, temporaryDirectories, trainJson } from './helpers/cli.js';
import { readNpzString } from './helpers/npz-string.js';
import { torchImportable, torchLogits, writeTorchStateDict } from './helpers/python.js';
import { relativeError } from './helpers/relative-error.js';

const fresh = temporaryDirectories('torch');

// Odd on purpose: non-square kernels and padding, strides that do not divide, overlapping pools, tanh.
const ODD = 'conv3k5x3p2x1,tanh,maxpool3x2s1x2,conv4k3s2x1,relu,flatten,dense12,tanh,dense';

describe.skipIf(!torchImportable)('train --save of a layer stack loads into torch.nn.Sequential (scripts/torch_logits.py)', () => {
  for (const model of ['opacus-mnist-tanh', ODD]) {
    it(`${model}: load_state_dict(strict) takes every tensor and PyTorch's logits equal shardtrain's (float64, 1e-12)`, async () => {
      const dir = fresh();
      const weights = join(dir, 'w.npz');
      const run = runCli(['train', '--model', model, '--dtype', 'float64', '--epochs', '1', '--train-count', '150', '--test-count', '20', '--threads', '2', '--save', weights]);
      expect(run.status, howItEnded(run)).toBe(0);

      const archive = await openNpz(weights);
      const spec = completeSpec(parseSpecJson(await readNpzString(weights, 'architecture')), { input: [1, 28, 28], classes: 10 });
      const net = new StackNetwork(deriveStackDims(spec), 'float64');
      const params = allocFloat('float64', net.layout.total);
      for (const t of net.layout.tensors) {
        const a = await archive.read(t.name);
        expect(a.shape, t.name).toEqual(t.shape);
        params.set(a.data as Float64Array, t.offset);
      }

      const { test } = loadEmbeddedMnist();
      const count = 6;
      const images = new Float64Array(count * 784);
      for (let i = 0; i < images.length; i++) images[i] = test.pixels[i] / test.divisor;
      const [theirs] = torchLogits(dir, [{ weights, images, shape: [count, 1, 28, 28] }]);

      const ours = allocFloat('float64', 10);
      for (let i = 0; i < count; i++) {
        net.sampleLogits(params, test, i, ours);
        expect(relativeError(ours, theirs.subarray(i * 10, (i + 1) * 10)), `image ${i}`).toBeLessThan(1e-12);
      }
    });
  }
});

describe.skipIf(!torchImportable)('scripts/torch_sequential.py builds what docs/models.md allows', () => {
  it("a last dense layer without 'out' takes the classes, as shardtrain reads it", async () => {
    const weights = join(fresh(), 'w.npz');
    const architecture = { input: [1, 28, 28], classes: 10, layers: [{ type: 'conv', out: 4, kernel: 5, stride: 2 }, { type: 'relu' }, { type: 'flatten' }, { type: 'dense' }] };
    writeTorchStateDict(weights, architecture, 1, 'float64');
    expect((await openNpz(weights)).keys).toContain('3.weight');
    expect((await (await openNpz(weights)).read('3.weight')).shape).toEqual([10, 4 * 12 * 12]);
    const { test } = loadEmbeddedMnist();
    const count = 4;
    const images = Float64Array.from(test.pixels.subarray(0, count * 784), (v) => v / test.divisor);
    const [theirs] = torchLogits(fresh(), [{ weights, images, shape: [count, 1, 28, 28] }]);
    expect(theirs).toHaveLength(count * 10);
    const run = runCli(['eval', '--json', '--weights', weights, '--test-count', '20', '--threads', '1']);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).total).toBe(20);
  });
});

describe.skipIf(!torchImportable)('train --init reads a state_dict PyTorch wrote with np.savez, architecture beside it', () => {
  it('opacus-mnist-tanh initialised by torch: with a negligible learning rate the first epoch scores what PyTorch predicts', async () => {
    const dir = fresh();
    const weights = join(dir, 'torch.npz');
    const architecture = {
      input: [1, 28, 28],
      classes: 10,
      layers: [
        { type: 'conv', out: 16, kernel: [8, 8], stride: [2, 2], padding: [3, 3] }, { type: 'tanh' }, { type: 'maxpool', kernel: [2, 2], stride: [1, 1] },
        { type: 'conv', out: 32, kernel: [4, 4], stride: [2, 2], padding: [0, 0] }, { type: 'tanh' }, { type: 'maxpool', kernel: [2, 2], stride: [1, 1] },
        { type: 'flatten' }, { type: 'dense', out: 32 }, { type: 'tanh' }, { type: 'dense', out: 10 },
      ],
    };
    writeTorchStateDict(weights, architecture, 3, 'float64');

    const count = 60;
    const run = runCli(['train', '--init', weights, '--lr', '1e-300', '--epochs', '1', '--dtype', 'float64', '--train-count', '100', '--test-count', String(count), '--json']);
    expect(run.status, howItEnded(run)).toBe(0);
    const { model, epochs } = trainJson(run.stdout);
    expect(model.parameters).toBe(26010);

    const { test } = loadEmbeddedMnist();
    const images = new Float64Array(count * 784);
    for (let i = 0; i < images.length; i++) images[i] = test.pixels[i] / test.divisor;
    const [logits] = torchLogits(dir, [{ weights, images, shape: [count, 1, 28, 28] }]);
    let correct = 0;
    for (let i = 0; i < count; i++) {
      const row = Array.from(logits.subarray(i * 10, (i + 1) * 10));
      if (row.indexOf(Math.max(...row)) === test.labels[i]) correct++;
    }
    expect(epochs[0].testCorrect).toBe(correct);
  });
});
