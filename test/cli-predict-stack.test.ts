// predict with layer stacks' weights: train --save's files and a state_dict PyTorch saved with
// np.savez give the classes and probabilities of PyTorch's own logits (scripts/torch_logits.py);
// colour reaches a 3-channel network as it is, as (C,H,W) planes like torchvision's ToTensor.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseNpy } from '../src/data/npy.js';
import { expectRefused, howItEnded, runCli, temporaryDirectories } from './helpers/cli.js';
import { softmaxRows, torchImportable, torchLogits, writeTorchStateDict } from './helpers/python.js';

const fresh = temporaryDirectories('predict-stack');
const PREDICT = new URL('./fixtures/predict/', import.meta.url).pathname;
const CHANNELS = new URL('./fixtures/channels/', import.meta.url).pathname;
// What numpy says each input with channels is, (C,H,W) in [0, 1] (scripts/make_channel_fixtures.py).
const INPUTS: Record<string, { composited: number[] }> = JSON.parse(readFileSync(join(CHANNELS, 'expected.json'), 'utf8')).predict;

interface Predicted {
  configSource: string;
  input: number[];
  dtype: string;
  predictions: { input: string; channels: number; conversion: string | null; class: number; probabilities: number[] }[];
}

function predict(weights: string, args: string[], cwd: string): Predicted {
  const r = runCli(['predict', '--json', '--weights', weights, ...args], { cwd });
  expect(r.status, howItEnded(r)).toBe(0);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout);
}

function train(args: string[]): string {
  const weights = join(fresh(), 'w.npz');
  const r = runCli(['train', '--epochs', '1', '--threads', '2', '--dtype', 'float64', '--save', weights, ...args]);
  expect(r.status, howItEnded(r)).toBe(0);
  return weights;
}

/** Each prediction's class and probabilities against PyTorch's softmax of its logits, row by row. */
function expectTorchsProbabilities(run: Predicted, torch: number[][], tolerance: number): void {
  expect(run.predictions).toHaveLength(torch.length);
  run.predictions.forEach((p, i) => {
    expect(p.class, p.input).toBe(torch[i].indexOf(Math.max(...torch[i])));
    const worst = Math.max(...p.probabilities.map((v, k) => Math.abs(v - torch[i][k])));
    expect(worst, p.input).toBeLessThanOrEqual(tolerance);
  });
}

// Odd on purpose, for 3x5x6 images (the channel fixtures' size): a non-square kernel with padding,
// a non-square pool that overlaps, unequal strides.
const ODD_RGB = 'conv4k3x2p1,tanh,maxpool2x3s1,conv5k2s2x1,relu,flatten,dense7,tanh,dense';
// Colour as it is (RGBA composited over black), 16 bits, a gray PNG as three equal planes, .npy stacks and single images with channels.
// ODD_RGB as the JSON of docs/models.md, for the fixture's 5 classes.
const ODD_ARCHITECTURE = {
  input: [3, 5, 6],
  classes: 5,
  layers: [
    { type: 'conv', out: 4, kernel: [3, 2], stride: [1, 1], padding: [1, 1] }, { type: 'tanh' }, { type: 'maxpool', kernel: [2, 3], stride: [1, 1] },
    { type: 'conv', out: 5, kernel: [2, 2], stride: [2, 1], padding: [0, 0] }, { type: 'relu' }, { type: 'flatten' },
    { type: 'dense', out: 7 }, { type: 'tanh' }, { type: 'dense', out: 5 },
  ],
};
const COLOUR_INPUTS = ['rgb8.png', 'rgba8.png', 'rgb16.png', 'gray8.png', 'stack_nhwc_u1.npy', 'image_chw_f4.npy'];

/** numpy's (C,H,W) values of COLOUR_INPUTS as one (N,3,5,6) batch, gray replicated into three planes. */
function colourBatch(): Float64Array {
  const keys = ['rgb8.png', 'rgba8.png', 'rgb16.png', 'gray8.png', 'stack_nhwc_u1.npy[0]', 'stack_nhwc_u1.npy[1]', 'image_chw_f4.npy'];
  const rows = keys.map((k) => (k === 'gray8.png' ? [0, 1, 2].flatMap(() => INPUTS[k].composited) : INPUTS[k].composited));
  return Float64Array.from(rows.flat());
}

// The odd network trained a couple of steps (batches of 2) on the 3x5x6 RGB fixture numpy wrote, (N,H,W,3) as Keras stores it.
let oddWeights: string;
beforeAll(() => {
  oddWeights = train(['--model', ODD_RGB, '--data', join(CHANNELS, 'rgb_u1_nhwc.npz'), '--batch-size', '2']);
});

describe.skipIf(!torchImportable)("predict with layer stacks gives the probabilities of PyTorch's logits", () => {
  // Starting Python and torch costs more than all the logits, so PyTorch computes every network's in one go, after every prediction.
  let opacus: Predicted;
  let odd: Predicted;
  let fromTorch: Predicted;
  let torch: number[][][];
  beforeAll(() => {
    const dir = fresh();
    const torchWeights = join(dir, 'torch.npz');
    writeTorchStateDict(torchWeights, ODD_ARCHITECTURE, 11, 'float32');
    const opacusWeights = train(['--model', 'opacus-mnist', '--train-count', '60', '--test-count', '10', '--batch-size', '30']);
    opacus = predict(opacusWeights, ['digits_uint8.npy', 'seven_rgb8.png'], PREDICT);
    odd = predict(oddWeights, COLOUR_INPUTS, CHANNELS);
    fromTorch = predict(torchWeights, COLOUR_INPUTS, CHANNELS);
    const digits = parseNpy(new Uint8Array(readFileSync(join(PREDICT, 'digits_uint8.npy')))).data as Uint8Array;
    const logits = torchLogits(dir, [
      { weights: opacusWeights, images: Float64Array.from(digits, (v) => v / 255), shape: [10, 1, 28, 28] },
      { weights: oddWeights, images: colourBatch(), shape: [7, 3, 5, 6] },
      { weights: torchWeights, images: colourBatch(), shape: [7, 3, 5, 6] },
    ]);
    torch = logits.map((l, i) => softmaxRows(l, i === 0 ? 10 : 5));
  });

  it('opacus-mnist saved by train --save (float64): ten digits to 1e-12, and a colour PNG as its luminance', () => {
    expect(opacus).toMatchObject({ configSource: 'architecture', input: [1, 28, 28], dtype: 'float64' });
    expectTorchsProbabilities({ ...opacus, predictions: opacus.predictions.slice(0, 10) }, torch[0], 1e-12);
    expect(opacus.predictions.slice(0, 10).every((p) => p.conversion === null)).toBe(true);
    expect(opacus.predictions[10]).toMatchObject({ input: 'seven_rgb8.png', channels: 3, conversion: 'luminance' });
  });

  it(`${ODD_RGB} x=[3,5,6] saved by train --save (float64): colour PNGs as they are, gray replicated, .npy with channels, to 1e-12`, () => {
    expect(odd.input).toEqual([3, 5, 6]);
    expectTorchsProbabilities(odd, torch[1], 1e-12);
    expect(odd.predictions.map((p) => p.conversion)).toEqual([null, null, null, 'replicated', null, null, null]);
  });

  it('the same network initialised by PyTorch and saved with np.savez in float32: computed in float32, within 1e-5', () => {
    expect([fromTorch.dtype, fromTorch.configSource]).toEqual(['float32', 'architecture']);
    expectTorchsProbabilities(fromTorch, torch[2], 1e-5);
  });
});

// Channel counts it cannot convert are refused as test/predict-channels.test.ts shows.
describe('predict refuses what a stack cannot take, in one line with exit 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['an image of another size', [join(PREDICT, 'seven_rgb8.png')], /seven_rgb8\.png: the image is 28x28 but the network takes 5x6 images; give --resize to resample it/],
    ['an --image-size the architecture contradicts', ['--image-size', '28', join(CHANNELS, 'rgb8.png')], /--image-size 28x28 contradicts .*w\.npz, which is for 5x6 images \(its 'architecture'\); leave --image-size out$/],
  ];
  for (const [what, args, message] of cases) {
    it(what, () => expectRefused(runCli(['predict', '--weights', oddWeights, ...args]), message));
  }

  it('resampled with --resize, a 28x28 colour PNG is taken, and the line says so', () => {
    const r = runCli(['predict', '--weights', oddWeights, '--resize', join(PREDICT, 'seven_rgb8.png'), join(CHANNELS, 'gray8.png')]);
    expect(r.status, howItEnded(r)).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/seven_rgb8\.png {2}class \d {2}p \d\.\d{4} {2}probabilities( \d\.\d{4}){5} {2}\(resized from 28x28\)$/);
    expect(lines[1]).toMatch(/gray8\.png {2}class \d {2}p \d\.\d{4} {2}probabilities( \d\.\d{4}){5} {2}\(gray as RGB\)$/);
    // The polarity hint is about MNIST digits, which a colour network does not read.
    expect(r.stderr).toBe('');
  });
});
