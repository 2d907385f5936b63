import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeNpz } from '../src/data/npz-write.js';
import { loadEmbeddedMnist } from '../src/data/embedded-mnist.js';
import { CLI, expectRefused, runCli, runCliAsync, temporaryDirectories, withoutPrefixWarnings } from './helpers/cli.js';

const fresh = temporaryDirectories('eval');

const GOLDEN = new URL('../../shared/golden/seed_fixed_epoch1_weights.npz', import.meta.url).pathname;
const FIXTURES = new URL('./fixtures/weights/', import.meta.url).pathname;
// numpy's results for the golden weights (scripts/make_eval_fixtures.py) and PyTorch's for its own
// network (scripts/make_torch_weights_fixture.py).
const NUMPY = JSON.parse(readFileSync(join(FIXTURES, 'seed_epoch1_numpy.json'), 'utf8'));
const TORCH = JSON.parse(readFileSync(join(FIXTURES, 'torch_seed_float32.json'), 'utf8'));

interface EvalJson {
  weights: string;
  storedDtype: string;
  dtype: string;
  configSource: string;
  config: { imageHeight: number; imageWidth: number; classes: number; conv1: { stride: number }; conv2: { stride: number } };
  parameters: number;
  data: string;
  threads: number;
  testLoss: number;
  correct: number;
  total: number;
  accuracy: number;
  perClass: { label: number; count: number; correct: number; accuracy: number | null }[];
  confusion: number[][];
  seconds: number;
}

function evalJson(args: string[]): EvalJson {
  const r = runCli(['eval', '--json', '--threads', '2', ...args]);
  expect(r.status, r.stderr).toBe(0);
  expect(withoutPrefixWarnings(r.stderr)).toBe('');
  expect(r.stdout.trim().split('\n')).toHaveLength(1);
  return JSON.parse(r.stdout);
}

const embeddedLabels = loadEmbeddedMnist().test.labels;

/** Test images per class in the embedded split, counted from the labels. */
const classCounts = (() => {
  const counts = new Array<number>(10).fill(0);
  for (const label of embeddedLabels) counts[label]++;
  return counts;
})();

/** The confusion matrix of the first `count` test images under a reference's predictions. */
function confusionOf(predictions: number[], count: number): number[][] {
  const matrix = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
  for (let i = 0; i < count; i++) matrix[embeddedLabels[i]][predictions[i]]++;
  return matrix;
}

describe("shardtrain eval on the seed numpy program's weights after one epoch", () => {
  let golden: EvalJson;
  beforeAll(() => {
    golden = evalJson(['--weights', GOLDEN]);
  });

  it('scores 1768/1996 in float64, the seed configuration inferred from the shapes', () => {
    expect([golden.correct, golden.total]).toEqual([1768, 1996]);
    expect(golden.accuracy).toBe(1768 / 1996);
    expect([golden.dtype, golden.storedDtype, golden.configSource]).toEqual(['float64', 'float64', 'shapes']);
    expect(golden.config).toMatchObject({ imageHeight: 28, imageWidth: 28, classes: 10, conv1: { stride: 1 }, conv2: { stride: 2 } });
    expect(golden.parameters).toBe(9586);
    expect(golden.testLoss).toBeCloseTo(NUMPY.float64.testLoss, 12);
  });

  it("the confusion matrix is numpy's: diagonal 1768, each row the class's test images", () => {
    expect(golden.confusion).toEqual(NUMPY.float64.confusion);
    expect(golden.confusion.reduce((sum, row, k) => sum + row[k], 0)).toBe(1768);
    expect(golden.confusion.map((row) => row.reduce((a, b) => a + b, 0))).toEqual(classCounts);
  });

  it('per-class accuracy is the diagonal over the row', () => {
    expect(golden.perClass.map((c) => c.label)).toEqual([...Array(10).keys()]);
    for (const c of golden.perClass) {
      expect(c.count).toBe(classCounts[c.label]);
      expect(c.correct).toBe(NUMPY.float64.confusion[c.label][c.label]);
      expect(c.accuracy).toBe(c.correct / c.count);
    }
    expect(golden.perClass.map((c) => c.accuracy!.toFixed(4))).toEqual([
      '0.9550', '0.9644', '0.8485', '0.8641', '0.8622', '0.7965', '0.9406', '0.9019', '0.8191', '0.8769',
    ]);
  });

  it('warns that a --test-count prefix of the embedded digits misses classes', () => {
    const r = runCli(['eval', '--weights', GOLDEN, '--threads', '1', '--test-count', '800']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('shardtrain: warning: --test-count 800 takes the first 800 test images, which hold 4 of the 10 classes of all 1996 test images; the first 1802 hold all 10\n');
  });

  it('warns that a --test-count past the end takes all the test images, and evaluates them', () => {
    const r = runCli(['eval', '--weights', GOLDEN, '--threads', '1', '--test-count', '5000', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('shardtrain: warning: --test-count 5000 asks for more than the 1996 test images there are: all 1996 are used\n');
    expect(JSON.parse(r.stdout).total).toBe(1996);
  });

  it('the table shows the same numbers', () => {
    const r = runCli(['eval', '--weights', GOLDEN, '--threads', '2']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^shardtrain: weights .*seed_fixed_epoch1_weights\.npz \(float64, configuration inferred from the array shapes, strides 1 and 2\), 9,586 parameters, computed in float64; embedded MNIST .*, 1996 test 28x28 images, 10 classes; 2 thread\(s\)$/);
    expect(lines[1]).toMatch(/^test loss 0\.3963 {2}accuracy 1768\/1996 \(88\.58%\)$/);
    expect(lines[3]).toMatch(/^class +count +correct +accuracy$/);
    expect(lines[4]).toMatch(/^ +0 +200 +191 +95\.50%$/);
    expect(lines[14]).toMatch(/^ +all +1996 +1768 +88\.58%$/);
    expect(lines[16]).toBe('confusion matrix (rows: true class, columns: predicted class)');
    expect(lines[17]).toMatch(/^true\\pred +0 +1 +2 +3 +4 +5 +6 +7 +8 +9$/);
    const matrix = lines.slice(18, 28).map((l) => l.trim().split(/ +/).map(Number));
    expect(matrix.map((row) => row[0])).toEqual([...Array(10).keys()]);
    expect(matrix.map((row) => row.slice(1))).toEqual(NUMPY.float64.confusion);
    expect(lines).toHaveLength(28);
  });
});

describe('shardtrain eval with float32 weights and weights from PyTorch', () => {
  // Subsets: the embedded test set is ordered by digit, so the first 800 images hold digits 0-3.
  it('a float32 file computes in float32 and predicts what numpy predicts in float32', () => {
    const r = evalJson(['--weights', join(FIXTURES, 'seed_epoch1_float32.npz'), '--test-count', '800']);
    expect([r.dtype, r.storedDtype]).toEqual(['float32', 'float32']);
    expect(r.confusion).toEqual(confusionOf(NUMPY.float32.predictions, 800));
  });

  it('--dtype float32 on float64 weights changes the precision, not the verdicts (smallest top-2 logit gap 1.6e-3)', () => {
    const r = evalJson(['--weights', GOLDEN, '--dtype', 'float32', '--test-count', '800']);
    expect([r.dtype, r.storedDtype]).toEqual(['float32', 'float64']);
    expect(r.confusion).toEqual(confusionOf(NUMPY.float64.predictions, 800));
  });

  it("a network PyTorch trained, exported in the seed's names and shapes, scores what PyTorch measured", () => {
    const r = evalJson(['--weights', join(FIXTURES, 'torch_seed_float32.npz')]);
    expect([r.correct, r.total]).toEqual([TORCH.correct, TORCH.total]);
    expect(r.confusion).toEqual(TORCH.confusion);
    expect(r.testLoss).toBeCloseTo(TORCH.testLoss, 5);
  });

  it("the same network in PyTorch's own shapes (kern (16,1,8,8), w (10,648)) gives identical results", () => {
    const torchShapes = evalJson(['--weights', join(FIXTURES, 'torch_state_shapes_float32.npz'), '--test-count', '800']);
    expect(torchShapes.confusion).toEqual(confusionOf(TORCH.predictions, 800));
  });
});

describe('shardtrain eval on a train --save file', () => {
  let dir: string;
  let saved: string;
  let trained: { testCorrect: number; testLoss: number; testTotal: number };
  const tests = ['--test-count', '150'];
  const subset = ['--train-count', '300', ...tests];
  beforeAll(() => {
    dir = fresh();
    saved = join(dir, 'w.npz');
    const r = runCli(['train', '--epochs', '1', '--threads', '2', '--json', '--dtype', 'float64', '--kernel1', '7x5', '--filters2', '6', '--stride2', '3', '--save', saved, '--checkpoint', join(dir, 'run'), ...subset]);
    expect(r.status, r.stderr).toBe(0);
    trained = JSON.parse(r.stdout.trim().split('\n').pop()!);
  });

  it('round-trips: the configuration comes from its arrays and the score is the one training reported', () => {
    const r = evalJson(['--weights', saved, ...tests]);
    expect(r.configSource).toBe('config arrays');
    expect(r.config).toMatchObject({ conv1: { kernelHeight: 7, kernelWidth: 5, stride: 1 }, conv2: { filters: 6, stride: 3 } });
    expect([r.correct, r.total]).toEqual([trained.testCorrect, trained.testTotal]);
    expect(r.testLoss).toBe(trained.testLoss);
  });

  it('float32 weights trained on the wasm kernels score exactly what training reported', () => {
    const file = join(dir, 'w32.npz');
    const r = runCli(['train', '--epochs', '1', '--threads', '2', '--json', '--save', file, ...subset]);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').pop()!);
    const e = evalJson(['--weights', file, ...tests]);
    expect(e.dtype).toBe('float32');
    expect([e.correct, e.total, e.testLoss]).toEqual([report.testCorrect, report.testTotal, report.testLoss]);
  });

  it('refuses data whose images have another size', () => {
    const data = new URL('./fixtures/data/ds_seed.npz', import.meta.url).pathname;
    expectRefused(runCli(['eval', '--weights', saved, '--data', data]), /w\.npz: the weights are for 28x28 images \(array 'image_shape'\) but the test images of .*ds_seed\.npz are 4x5$/);
  });

  it('refuses test labels past the classes the weights classify', async () => {
    const data = join(dir, 'twelve-classes.npz');
    const images = { data: new Uint8Array(12 * 784), shape: [12, 28, 28] };
    const labels = { data: Int32Array.from({ length: 12 }, (_, i) => i), shape: [12] };
    await writeNpz(data, { trainimages: images, trainlabels: labels, testimages: images, testlabels: labels });
    expectRefused(runCli(['eval', '--weights', saved, '--data', data]), /w\.npz: the weights classify 10 classes \(0\.\.9\), but test label 10 of .*twelve-classes\.npz is 10$/);
  });

  it("refuses the run's checkpoint, saying how to write its weights", () => {
    const checkpoint = join(dir, 'run', 'checkpoint.npz');
    const message = `^shardtrain: ${checkpoint}: a training checkpoint, not a weights file; write its weights with 'shardtrain train --resume ${join(dir, 'run')} --save FILE'$`;
    expectRefused(runCli(['eval', '--weights', checkpoint]), new RegExp(message));
    expectRefused(runCli(['train', '--init', checkpoint, '--epochs', '1']), new RegExp(message));
  });

  it('refuses a stride flag that contradicts the file', () => {
    expectRefused(runCli(['eval', '--weights', saved, '--stride2', '2', '--test-count', '10']), /w\.npz: --stride2 2 contradicts the file's array 'conv2' \(stride 3\)/);
  });
});

describe('shardtrain eval needs only the test split', () => {
  const first = 300;
  const { test } = loadEmbeddedMnist();
  const testOnly = async (labels: Int32Array) => {
    const file = join(fresh(), 'test-only.npz');
    const x = { data: test.pixels.slice(0, first * 784) as Uint8Array, shape: [first, 28, 28] };
    await writeNpz(file, { x_test: x, y_test: { data: labels, shape: [first] } });
    return file;
  };

  it("scores an .npz of Keras' x_test and y_test alone as the same images of a whole set", async () => {
    const file = await testOnly(test.labels.slice(0, first));
    const whole = evalJson(['--weights', GOLDEN, '--test-count', String(first)]);
    const alone = evalJson(['--weights', GOLDEN, '--data', file]);
    expect([alone.correct, alone.total, alone.testLoss]).toEqual([whole.correct, whole.total, whole.testLoss]);
    expect(alone.confusion).toEqual(whole.confusion);
  });

  it('accepts test labels that use only some of the classes the weights classify', async () => {
    // The embedded digits are stored by class: the first 300 test images are 0s and 1s.
    const labels = test.labels.slice(0, first);
    expect(Math.max(...labels)).toBeLessThan(9);
    const r = evalJson(['--weights', GOLDEN, '--data', await testOnly(labels)]);
    expect(r.perClass).toHaveLength(10);
    expect(r.perClass[9]).toEqual({ label: 9, count: 0, correct: 0, accuracy: null });
  });
});

describe('shardtrain eval reads weights from a pipe', () => {
  it('scores them as from the file', () => {
    // 200 images are enough to tell the pipe from the file; all 1,996 in float64 took 8 s.
    const file = runCli(['eval', '--json', '--threads', '1', '--test-count', '200', '--weights', GOLDEN]);
    const piped = spawnSync('bash', ['-c', `exec "${process.execPath}" "${CLI}" eval --json --threads 1 --test-count 200 --weights <(cat "${GOLDEN}")`], { encoding: 'utf8' });
    expect(piped.status, piped.stderr).toBe(0);
    const score = (stdout: string) => ((r) => [r.testLoss, r.correct])(JSON.parse(stdout));
    expect(score(piped.stdout)).toEqual(score(file.stdout));
  });
});

describe('shardtrain eval refuses bad input in one line with exit code 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['no --weights', [], /Missing required argument: weights/],
    ['a missing weights file', ['--weights', '/nonexistent/w.npz'], /\/nonexistent\/w\.npz: no such file$/],
    ['a data set given as weights', ['--weights', new URL('./fixtures/data/ds_seed.npz', import.meta.url).pathname], /ds_seed\.npz: no array 'kern', 'kb', 'kern2', 'kb2', 'w', 'b'/],
    ['a PNG given as weights', ['--weights', new URL('./fixtures/predict/digit7.png', import.meta.url).pathname], /digit7\.png: not a zip archive, so not an \.npz file$/],
    ['strides that do not give w', ['--weights', GOLDEN, '--stride1', '2'], /seed_fixed_epoch1_weights\.npz: array 'w' has shape \(10, 8, 9, 9\), but the test images of embedded MNIST .* \(28x28\) with strides 2 and 2 give/],
    ['images smaller than the kernels', ['--weights', GOLDEN, '--data', new URL('./fixtures/data/ds_seed.npz', import.meta.url).pathname], /array 'kern' holds 8x8 kernels, larger than the test images of .*ds_seed\.npz \(4x5\)$/],
    ['--test-count 0', ['--weights', GOLDEN, '--test-count', '0'], /--test-count 0 leaves no test images to evaluate$/],
    // eval evaluates the test images only; the flag is hidden from its help but shared with train.
    ['--train-count', ['--weights', GOLDEN, '--train-count', '100'], /^shardtrain: --train-count does nothing in eval, which reads only the test images; leave it out$/],
    ['--train-images-key', ['--weights', GOLDEN, '--train-images-key', 'x'], /^shardtrain: --train-images-key does nothing in eval, which reads only the test images; leave it out$/],
    ['--train-labels-key', ['--weights', GOLDEN, '--train-labels-key', 'y'], /^shardtrain: --train-labels-key does nothing in eval, which reads only the test images; leave it out$/],
    ['an unknown --dtype', ['--weights', GOLDEN, '--dtype', 'float16'], /dtype/],
    // A device has no size to check, and /dev/zero never ends: read up to a bound, not until memory runs out.
    ['weights from a device that never ends', ['--weights', '/dev/zero'], /^shardtrain: \/dev\/zero: not a regular file, and it goes on past 512 MiB without ending$/],
    ['zero --threads', ['--weights', GOLDEN, '--threads', '0'], /--threads must be a whole number from 1/],
    ['--threads with no value', ['--weights', GOLDEN, '--threads'], /^shardtrain: --threads needs a value$/],
  ];
  for (const [what, args, message] of cases) {
    it.concurrent(what, async () => expectRefused(await runCliAsync(['eval', ...args]), message));
  }

  it('eval --help names every flag and hides those of the training split', () => {
    const r = runCli(['eval', '--help']);
    expect(r.status).toBe(0);
    for (const flag of ['weights', 'dtype', 'stride1', 'stride2', 'threads', 'json', 'data', 'test-count']) expect(r.stdout).toContain(`--${flag}`);
    for (const flag of ['train-count', 'train-images-key', 'train-labels-key']) expect(r.stdout).not.toContain(`--${flag}`);
  });
});
