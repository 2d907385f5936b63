// Values past the computing dtype's range give one line and exit 2, never NaN scores or nonsense.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectRefused, runCli, temporaryDirectories, withoutPrefixWarnings } from './helpers/cli.js';
import { writeNumpyImages, writeScaledWeights } from './helpers/python.js';

const fresh = temporaryDirectories('overflow');
const FLOAT32_WEIGHTS = new URL('./fixtures/weights/seed_epoch1_float32.npz', import.meta.url).pathname;
const DIGIT = new URL('./fixtures/predict/digit7.png', import.meta.url).pathname;

describe('weights whose outputs overflow float32', () => {
  let huge: string;
  beforeAll(() => {
    huge = join(fresh(), 'huge.npz');
    writeScaledWeights(FLOAT32_WEIGHTS, huge, 1e15); // finite, but the logits reach 1e45
  });

  it('eval refuses to score them, naming the file and the first image', () => {
    expectRefused(
      runCli(['eval', '--weights', huge, '--test-count', '1802', '--threads', '1']),
      /^shardtrain: .*huge\.npz: the loss of test image 0 of embedded MNIST .* is not finite: the network's outputs overflow float32; the weights are too large for these images$/,
    );
  });

  it('eval refuses in one line even with a --test-count whose prefix lacks classes, which would warn', () => {
    expectRefused(runCli(['eval', '--weights', huge, '--test-count', '100', '--threads', '1']), /huge\.npz: the loss of test image 0 of embedded MNIST .* is not finite/);
  });

  it('predict refuses to classify with them, naming the image', () => {
    expectRefused(runCli(['predict', '--weights', huge, DIGIT]), /^shardtrain: .*huge\.npz: the network's outputs for .*digit7\.png overflow float32, so the weights are too large to classify with$/);
  });

  it('the same weights unscaled score and classify', () => {
    expect(runCli(['eval', '--weights', FLOAT32_WEIGHTS, '--test-count', '1802', '--threads', '1']).status).toBe(0);
    expect(runCli(['predict', '--weights', FLOAT32_WEIGHTS, DIGIT]).status).toBe(0);
  });
});

describe('a --pixel-divisor that carries pixels past float32', () => {
  let data: string;
  beforeAll(() => {
    data = join(fresh(), 'd.npz');
    writeNumpyImages(data, { train: 20, test: 10, input: [1, 28, 28], classes: 10, seed: 3 });
  });

  it('is refused by train and eval before any work, naming the array and the value', () => {
    const message = (key: string) => new RegExp(`^shardtrain: .*d\\.npz: key '${key}': pixel divisor 1e-300 makes its largest pixel, 255, into 2\\.55e\\+302, past float32's largest number \\(3\\.4e38\\), the inputs' limit in either precision$`);
    expectRefused(runCli(['train', '--data', data, '--pixel-divisor', '1e-300']), message('trainimages'));
    // eval reads the test images only.
    expectRefused(runCli(['eval', '--weights', FLOAT32_WEIGHTS, '--data', data, '--pixel-divisor', '1e-300']), message('testimages'));
    // The limit is float32's in float64 too: the same data and divisor run in either precision, or neither.
    expectRefused(runCli(['train', '--data', data, '--pixel-divisor', '1e-300', '--dtype', 'float64']), message('trainimages'));
  });

  it('pixels in range whose outputs still overflow: eval names the divisor beside the weights', () => {
    expectRefused(
      runCli(['eval', '--weights', FLOAT32_WEIGHTS, '--data', data, '--pixel-divisor', '2e-36', '--threads', '1']),
      /is not finite: the network's outputs overflow float32; the weights, or the images divided by --pixel-divisor 2e-36, are too large$/,
    );
  });

  it('a small divisor whose pixels stay in range is taken', () => {
    // Inputs of 1e22 give gradients whose square overflows Adam's float32 state (a numerical fault);
    // SGD with a learning rate to match trains on them.
    const r = runCli(['train', '--data', data, '--pixel-divisor', '1e-20', '--epochs', '1', '--batch-size', '10', '--threads', '1', '--json', '--optimizer', 'sgd', '--lr', '1e-30']);
    expect(r.status, r.stderr).toBe(0);
    const adam = runCli(['train', '--data', data, '--pixel-divisor', '1e-20', '--epochs', '1', '--batch-size', '10', '--threads', '1']);
    expect(adam.status).toBe(1);
    expect(withoutPrefixWarnings(adam.stderr)).toMatch(/^shardtrain: a non-finite update \(the learning rate, or a gradient, too large for the precision\) at step 1 /);
  });
});
