// eval and predict on layer stacks' weights: what train --save writes (nn.Sequential tensors and the
// architecture) and a state_dict PyTorch saved with np.savez. eval scores them bit for bit as
// training did; predict gives the classes and probabilities of PyTorch's own logits
// (scripts/torch_logits.py), colour reaching a 3-channel network as (C,H,W) planes like
// torchvision's ToTensor; data a network cannot take is refused in one line, exit 2.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseNpy } from '../src/data/npy.js';
import { expectRefused, howItEnded, runCli, temporaryDirectories, trainJson, withoutPrefixWarnings } from './helpers/cli.js';
import { numpyImportable, softmaxRows, torchImportable, torchLogits, writeNumpyImages, writeTorchStateDict } from './helpers/python.js';

const fresh = temporaryDirectories('stack-weights');
const PREDICT = new URL('./fixtures/predict/', import.meta.url).pathname;
const CHANNELS = new URL('./fixtures/channels/', import.meta.url).pathname;
// What numpy says each input with channels is, (C,H,W) in [0, 1] (scripts/make_channel_fixtures.py).
const INPUTS: Record<string, { composited: number[] }> = JSON.parse(readFileSync(join(CHANNELS, 'expected.json'), 'utf8')).predict;

// Odd on purpose, for 3x5x6 images (the channel fixtures' size): a non-square kernel with padding,
// a non-square pool that overlaps, unequal strides.
const ODD_RGB = 'conv4k3x2p1,tanh,maxpool2x3s1,conv5k2s2x1,relu,flatten,dense7,tanh,dense';
const ODD_ARCHITECTURE = {
  input: [3, 5, 6],
  classes: 4,
  layers: [
    { type: 'conv', out: 4, kernel: [3, 2], stride: [1, 1], padding: [1, 1] }, { type: 'tanh' }, { type: 'maxpool', kernel: [2, 3], stride: [1, 1] },
    { type: 'conv', out: 5, kernel: [2, 2], stride: [2, 1], padding: [0, 0] }, { type: 'relu' }, { type: 'flatten' },
    { type: 'dense', out: 7 }, { type: 'tanh' }, { type: 'dense', out: 4 },
  ],
};
// Colour as it is (RGBA composited over black), 16 bits, a gray PNG as three equal planes, .npy stacks and single images with channels.
const COLOUR_INPUTS = ['rgb8.png', 'rgba8.png', 'rgb16.png', 'gray8.png', 'stack_nhwc_u1.npy', 'image_chw_f4.npy'];

/** numpy's (C,H,W) values of COLOUR_INPUTS as one (7,3,5,6) batch, gray replicated into three planes. */
function colourBatch(): Float64Array {
  const keys = ['rgb8.png', 'rgba8.png', 'rgb16.png', 'gray8.png', 'stack_nhwc_u1.npy[0]', 'stack_nhwc_u1.npy[1]', 'image_chw_f4.npy'];
  return Float64Array.from(keys.flatMap((k) => (k === 'gray8.png' ? [0, 1, 2].flatMap(() => INPUTS[k].composited) : INPUTS[k].composited)));
}

interface Scored {
  testLoss: number;
  correct: number;
  total: number;
  configSource: string;
  model: string;
  input: number[];
  classes: number;
  architecture: { layers: unknown[] };
  parameters: number;
}

interface Predicted {
  configSource: string;
  input: number[];
  dtype: string;
  predictions: { input: string; channels: number; conversion: string | null; class: number; probabilities: number[] }[];
}

/** train --save, and what its last epoch reported. */
function train(args: string[]): { weights: string; last: Record<string, number> } {
  const weights = join(fresh(), 'w.npz');
  const r = runCli(['train', '--epochs', '1', '--threads', '2', '--json', '--save', weights, ...args]);
  expect(r.status, howItEnded(r)).toBe(0);
  return { weights, last: trainJson(r.stdout).epochs[0] };
}

function evaluate(weights: string, args: string[]): Scored {
  const r = runCli(['eval', '--json', '--threads', '2', '--weights', weights, ...args]);
  expect(r.status, howItEnded(r)).toBe(0);
  expect(withoutPrefixWarnings(r.stderr)).toBe('');
  return JSON.parse(r.stdout);
}

function predict(weights: string, args: string[], cwd: string): Predicted {
  const r = runCli(['predict', '--json', '--weights', weights, ...args], { cwd });
  expect(r.status, howItEnded(r)).toBe(0);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout);
}

/** Each prediction's class and probabilities against PyTorch's softmax of its logits, row by row. */
function expectTorchsProbabilities(predictions: Predicted['predictions'], torch: number[][], tolerance: number): void {
  expect(predictions).toHaveLength(torch.length);
  predictions.forEach((p, i) => {
    expect(p.class, p.input).toBe(torch[i].indexOf(Math.max(...torch[i])));
    const worst = Math.max(...p.probabilities.map((v, k) => Math.abs(v - torch[i][k])));
    expect(worst, p.input).toBeLessThanOrEqual(tolerance);
  });
}

describe('opacus-mnist saved by train --save (float32, the wasm kernels)', () => {
  let opacus: { weights: string; last: Record<string, number> };
  beforeAll(() => {
    opacus = train(['--model', 'opacus-mnist', '--train-count', '100', '--test-count', '300', '--batch-size', '50']);
  });

  it("eval: test loss and accuracy bitwise the last epoch's report; RGB images refused", () => {
    const scored = evaluate(opacus.weights, ['--test-count', '300']);
    expect([scored.correct, scored.total, scored.testLoss]).toEqual([opacus.last.testCorrect, opacus.last.testTotal, opacus.last.testLoss]);
    expect(scored).toMatchObject({ configSource: 'architecture', input: [1, 28, 28], classes: 10, parameters: 26010 });
    expect(scored.model).toBe('conv16k8s2p3,relu,maxpool2s1,conv32k4s2,relu,maxpool2s1,flatten,dense32,relu,dense10');
    expect(scored.architecture.layers).toHaveLength(10);
    expectRefused(runCli(['eval', '--weights', opacus.weights, '--data', join(CHANNELS, 'rgb_u1_nhwc.npz')]), /rgb_u1_nhwc\.npz: the images have 3 channels \(3x5x6\), and the weights' network takes 1 \(gray images\)$/);
  });

  it.skipIf(!torchImportable)("predict: ten digits as PyTorch's float64 logits give them (float32, within 2e-6), a colour PNG as its luminance", () => {
    const run = predict(opacus.weights, ['digits_uint8.npy', 'seven_rgb8.png'], PREDICT);
    expect(run).toMatchObject({ configSource: 'architecture', input: [1, 28, 28], dtype: 'float32' });
    const digits = parseNpy(new Uint8Array(readFileSync(join(PREDICT, 'digits_uint8.npy')))).data as Uint8Array;
    const [logits] = torchLogits(fresh(), [{ weights: opacus.weights, images: Float64Array.from(digits, (v) => v / 255), shape: [10, 1, 28, 28] }]);
    expectTorchsProbabilities(run.predictions.slice(0, 10), softmaxRows(logits, 10), 2e-6);
    expect(run.predictions.slice(0, 10).every((p) => p.conversion === null)).toBe(true);
    expect(run.predictions[10]).toMatchObject({ input: 'seven_rgb8.png', channels: 3, conversion: 'luminance' });
  });
});

describe.skipIf(!numpyImportable)(`${ODD_RGB} x=[3,5,6] (float64) on RGB images numpy wrote (N,H,W,3), and the same network from PyTorch`, () => {
  let data: string;
  let odd: { weights: string; last: Record<string, number> };
  beforeAll(() => {
    data = join(fresh(), 'rgb.npz');
    writeNumpyImages(data, { train: 48, test: 24, input: [3, 5, 6], classes: 4, seed: 7 });
    odd = train(['--model', ODD_RGB, '--data', data, '--batch-size', '16', '--dtype', 'float64']);
  });

  it('eval: the score training reported, bit for bit; the table names the network and the images', () => {
    const scored = evaluate(odd.weights, ['--data', data]);
    expect([scored.correct, scored.total, scored.testLoss]).toEqual([odd.last.testCorrect, 24, odd.last.testLoss]);
    expect(scored).toMatchObject({ input: [3, 5, 6], classes: 4, model: `${ODD_RGB}4` });
    const table = runCli(['eval', '--threads', '1', '--weights', odd.weights, '--data', data]);
    expect(table.status, howItEnded(table)).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(
      /^shardtrain: weights .*w\.npz \(float64, conv4k3x2p1,tanh,maxpool2x3s1,conv5k2s2x1,relu,flatten,dense7,tanh,dense4, from its architecture\), \d+ parameters, computed in float64; .*rgb\.npz.*, 24 test 3x5x6 images, 4 classes; 1 thread\(s\)$/,
    );
  });

  it('eval refuses gray images and RGB images of another size, in one line with exit 2', () => {
    expectRefused(runCli(['eval', '--weights', odd.weights]), /^shardtrain: embedded MNIST .*: the images have 1 channel \(28x28\), and the weights' network takes 3$/);
    expectRefused(
      runCli(['eval', '--weights', odd.weights, '--data', join(CHANNELS, 'ambiguous_u1.npz'), '--channels', 'last']),
      /w\.npz: the network takes 3x5x6 images \(its 'architecture'\) but the test images of .*ambiguous_u1\.npz are 3x6$/,
    );
  });

  it.skipIf(!torchImportable)("predict, train --save's and PyTorch's (float32) files: colour as it is, gray replicated, .npy with channels, as PyTorch's logits give them", () => {
    const dir = fresh();
    const fromTorch = join(dir, 'torch.npz');
    writeTorchStateDict(fromTorch, ODD_ARCHITECTURE, 11, 'float32');
    const ours = predict(odd.weights, COLOUR_INPUTS, CHANNELS);
    const theirs = predict(fromTorch, COLOUR_INPUTS, CHANNELS);
    // Starting Python and torch costs more than the logits: both networks' in one go.
    const [oursTorch, theirsTorch] = torchLogits(dir, [odd.weights, fromTorch].map((weights) => ({ weights, images: colourBatch(), shape: [7, 3, 5, 6] })));
    expect(ours).toMatchObject({ input: [3, 5, 6], dtype: 'float64' });
    expectTorchsProbabilities(ours.predictions, softmaxRows(oursTorch, 4), 1e-12);
    expect(ours.predictions.map((p) => p.conversion)).toEqual([null, null, null, 'replicated', null, null, null]);
    expect(theirs).toMatchObject({ configSource: 'architecture', dtype: 'float32' });
    expectTorchsProbabilities(theirs.predictions, softmaxRows(theirsTorch, 4), 1e-5);
  });

  it('predict refuses an image of another size and a contradicting --image-size; --resize takes it, and each line says what was done', () => {
    expectRefused(runCli(['predict', '--weights', odd.weights, join(PREDICT, 'seven_rgb8.png')]), /seven_rgb8\.png: the image is 28x28 but the network takes 5x6 images; give --resize to resample it/);
    expectRefused(
      runCli(['predict', '--weights', odd.weights, '--image-size', '28', join(CHANNELS, 'rgb8.png')]),
      /--image-size 28x28 contradicts .*w\.npz, which is for 5x6 images \(its 'architecture'\); leave --image-size out$/,
    );
    const r = runCli(['predict', '--weights', odd.weights, '--resize', join(PREDICT, 'seven_rgb8.png'), join(CHANNELS, 'gray8.png')]);
    expect(r.status, howItEnded(r)).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/seven_rgb8\.png {2}class \d {2}p \d\.\d{4} {2}probabilities( \d\.\d{4}){4} {2}\(resized from 28x28\)$/);
    expect(lines[1]).toMatch(/gray8\.png {2}class \d {2}p \d\.\d{4} {2}probabilities( \d\.\d{4}){4} {2}\(gray as RGB\)$/);
    // The polarity hint is about MNIST digits, which a colour network does not read.
    expect(r.stderr).toBe('');
  });
});
