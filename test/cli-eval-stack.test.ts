// eval on layer stacks' weights as train --save writes them (nn.Sequential tensors and the
// architecture): the score training reported, bit for bit, and one-line refusals of data they do not fit.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectRefused, howItEnded, runCli, temporaryDirectories, trainJson } from './helpers/cli.js';
import { numpyImportable, writeNumpyImages } from './helpers/python.js';

const fresh = temporaryDirectories('eval-stack');
const channels = (name: string) => new URL(`./fixtures/channels/${name}`, import.meta.url).pathname;

// Odd on purpose, for 3x5x6 images: a non-square kernel with padding, a non-square pool that overlaps, unequal strides.
const ODD_RGB = 'conv4k3x2p1,tanh,maxpool2x3s1,conv5k2s2x1,relu,flatten,dense7,tanh,dense';

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

/** train --save, then eval --json on the same test images: what each says. */
function trainThenEval(train: string[], evalArgs: string[]) {
  const weights = join(fresh(), 'w.npz');
  const t = runCli(['train', '--epochs', '1', '--threads', '2', '--json', '--save', weights, ...train]);
  expect(t.status, howItEnded(t)).toBe(0);
  const trained = trainJson(t.stdout);
  const e = runCli(['eval', '--json', '--threads', '2', '--weights', weights, ...evalArgs]);
  expect(e.status, howItEnded(e)).toBe(0);
  expect(e.stderr).toBe('');
  return { weights, trained, scored: JSON.parse(e.stdout) as Scored };
}

describe('eval scores a layer stack saved by train --save as training did', () => {
  it("opacus-mnist, float32 on the wasm kernels: test loss and accuracy bitwise the last epoch's report; RGB images refused", () => {
    const { weights, trained, scored } = trainThenEval(['--model', 'opacus-mnist', '--train-count', '200', '--test-count', '300', '--batch-size', '50'], ['--test-count', '300']);
    const last = trained.epochs[0];
    expect([scored.correct, scored.total, scored.testLoss]).toEqual([last.testCorrect, last.testTotal, last.testLoss]);
    expect(scored).toMatchObject({ configSource: 'architecture', input: [1, 28, 28], classes: 10, parameters: 26010 });
    expect(scored.model).toBe('conv16k8s2p3,relu,maxpool2s1,conv32k4s2,relu,maxpool2s1,flatten,dense32,relu,dense10');
    expect(scored.architecture.layers).toHaveLength(10);
    expectRefused(runCli(['eval', '--weights', weights, '--data', channels('rgb_u1_nhwc.npz')]), /rgb_u1_nhwc\.npz: the images have 3 channels \(3x5x6\), and the weights' network takes 1 \(gray images\)$/);
  });
});

describe.skipIf(!numpyImportable)('eval of an odd 3-channel stack on RGB images numpy wrote (N,H,W,3)', () => {
  let dir: string;
  let data: string;
  let weights: string;
  beforeAll(() => {
    dir = fresh();
    data = join(dir, 'rgb.npz');
    writeNumpyImages(data, { train: 48, test: 24, input: [3, 5, 6], classes: 4, seed: 7 });
  });

  it(`${ODD_RGB} x=[3,5,6]: the score training reported, bit for bit; the table names the network and the images`, () => {
    const run = trainThenEval(['--model', ODD_RGB, '--data', data, '--batch-size', '16'], ['--data', data]);
    weights = run.weights;
    const last = run.trained.epochs[0];
    expect([run.scored.correct, run.scored.total, run.scored.testLoss]).toEqual([last.testCorrect, 24, last.testLoss]);
    expect(run.scored).toMatchObject({ input: [3, 5, 6], classes: 4, model: `${ODD_RGB.slice(0, -'dense'.length)}dense4` });
    const table = runCli(['eval', '--threads', '1', '--weights', weights, '--data', data]);
    expect(table.status, howItEnded(table)).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(
      /^shardtrain: weights .*w\.npz \(float32, conv4k3x2p1,tanh,maxpool2x3s1,conv5k2s2x1,relu,flatten,dense7,tanh,dense4, from its architecture\), \d+ parameters, computed in float32; .*rgb\.npz.*, 24 test 3x5x6 images, 4 classes; 1 thread\(s\)$/,
    );
  });

  // Stride flags on a stack's file are refused too (test/saved-network.test.ts).
  it('refuses in one line, exit 2: gray images, RGB images of another size', () => {
    const cases: [string[], RegExp][] = [
      [[], /^shardtrain: embedded MNIST .*: the images have 1 channel \(28x28\), and the weights' network takes 3$/],
      [['--data', channels('ambiguous_u1.npz'), '--channels', 'last'], /w\.npz: the network takes 3x5x6 images \(its 'architecture'\) but the test images of .*ambiguous_u1\.npz are 3x6$/],
    ];
    for (const [args, message] of cases) expectRefused(runCli(['eval', '--weights', weights, ...args]), message);
  });
});
