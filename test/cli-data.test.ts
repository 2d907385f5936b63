import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { CLI, expectRefused, runCli, runCliAsync, temporaryDirectories, withOverrides, trainJson } from './helpers/cli.js';
import { numpyImportable, PYTHON } from './helpers/python.js';
import { holdsOpen, interruptWhen } from './helpers/signals.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/data/${name}`, import.meta.url));
// The fixtures' images are 4x5, so the network must be small enough to fit them.
const smallNet = ['--kernel1', '2', '--kernel2', '2', '--stride2', '1', '--filters1', '3', '--filters2', '2', '--threads', '2', '--epochs', '2'];

describe('train --data reads the formats people bring', () => {
  const layouts: [string, string[]][] = [
    ["an .npz with the seed's keys", [fixture('ds_seed.npz')]],
    ["Keras' mnist.npz keys", [fixture('ds_keras.npz')]],
    ['a directory of gzipped IDX files', [fixture('idx_gz')]],
    ['a flat (N, D) array with --image-size', [fixture('ds_flat.npz'), '--image-size', '4x5']],
  ];
  for (const [what, args] of layouts) {
    it(what, () => {
      const r = runCli(['train', '--json', ...smallNet, '--data', ...args]);
      expect(r.status, r.stderr).toBe(0);
      const { epochs } = trainJson(r.stdout);
      expect(epochs).toHaveLength(2);
      expect(epochs[0]).toMatchObject({ samples: 6, testTotal: 3 });
    });
  }
});

describe.runIf(numpyImportable)('train --data warns of images the divisor leaves nearly black', () => {
  const fresh = temporaryDirectories('nearly-black-');
  /** ds_seed.npz with its pixels made by `expression` of x, written by numpy. */
  const variant = (expression: string) => {
    const file = join(fresh(), 'data.npz');
    const code = `import sys, numpy as np\nd = dict(np.load(sys.argv[1]))\nfor k in ("trainimages", "testimages"):\n    x = d[k]\n    d[k] = ${expression}\nnp.savez(sys.argv[2], **d)`;
    const r = spawnSync(PYTHON, ['-c', code, fixture('ds_seed.npz'), file], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return file;
  };
  const cases: [string, string, RegExp][] = [
    ['0/1 values stored as uint8', '(x > 127).astype(np.uint8)', /the training images' largest pixel is 1, which the network sees as 0\.00392, so they are nearly black; give --pixel-divisor 1 if they are 0\/1 values$/],
    ['floats divided by 255 twice', '(x / 255.0 / 255.0).astype(np.float32)', /the training images' largest pixel is 0\.003\d+, which the network sees as 0\.003\d+, so they are nearly black; were they divided by 255 twice\?$/],
    ['images that are all 0', 'np.zeros_like(x)', /: every pixel of the training images is 0$/],
  ];
  for (const [what, expression, warning] of cases) {
    it(what, () => {
      const file = variant(expression);
      const r = runCli(['train', ...smallNet, '--data', file]);
      expect(r.status, r.stderr).toBe(0);
      // ds_seed.npz's labels also earn a warning of their own (5 of 10 classes have images).
      const warnings = r.stderr.split('\n').filter((line) => line.startsWith('shardtrain: warning: ') && !line.includes('training labels run to'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(warning);
    });
  }

  it('a divisor the user gives is taken as meant, and ordinary bytes say nothing', () => {
    const binary = variant('(x > 127).astype(np.uint8)');
    for (const args of [['--data', binary, '--pixel-divisor', '1'], ['--data', fixture('ds_seed.npz')]]) {
      const r = runCli(['train', ...smallNet, ...args]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/nearly black|every pixel/);
    }
  });
});

describe('train --data reads an .npz from a pipe', () => {
  it('trains as from the file, bitwise', () => {
    const args = ['train', '--json', ...smallNet, '--seed', '3'];
    const file = runCli([...args, '--data', fixture('ds_seed.npz')]);
    expect(file.status, file.stderr).toBe(0);
    const quoted = args.map((a) => `"${a}"`).join(' ');
    const piped = spawnSync('bash', ['-c', `exec "${process.execPath}" "${CLI}" ${quoted} --data <(cat "${fixture('ds_seed.npz')}")`], { encoding: 'utf8' });
    expect(piped.status, piped.stderr).toBe(0);
    const losses = (stdout: string) => trainJson(stdout).epochs.map((e) => [e.trainLoss, e.testLoss]);
    expect(losses(piped.stdout)).toEqual(losses(file.stdout));
  });
});

describe('train --data from a named pipe waits for its writer, and Ctrl-C still ends it meanwhile', () => {
  const fresh = temporaryDirectories('fifo');
  const fifoIn = (dir: string) => {
    const path = join(dir, 'data.npz');
    expect(spawnSync('mkfifo', [path]).status).toBe(0);
    return path;
  };

  it('a writer that comes after train has started: trained as from the file', async () => {
    const fifo = fifoIn(fresh());
    const args = ['train', '--json', ...smallNet, '--seed', '3'];
    const piped = runCliAsync([...args, '--data', fifo]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await writeFile(fifo, readFileSync(fixture('ds_seed.npz')));
    const [r, file] = [await piped, runCli([...args, '--data', fixture('ds_seed.npz')])];
    expect(r.status, r.stderr).toBe(0);
    const losses = (stdout: string) => trainJson(stdout).epochs.map((e) => [e.trainLoss, e.testLoss]);
    expect(losses(r.stdout)).toEqual(losses(file.stdout));
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`no writer: ${signal} ends train with 130 at once, leaving no checkpoint folder`, async () => {
      const dir = fresh();
      const fifo = fifoIn(dir);
      // Signalled once train holds the pipe open, waiting for its writer (and its handlers are in).
      const r = await interruptWhen(['train', '--data', fifo, '--checkpoint', join(dir, 'run')], (pid) => holdsOpen(pid, fifo), [signal]);
      expect([r.code, r.signal], r.stderr).toEqual([130, null]);
      expect(existsSync(join(dir, 'run'))).toBe(false);
    });
  }
});

describe('train --data refuses bad data in one line naming the file, exit 2, before training', () => {
  const cases: [string, string[], RegExp][] = [
    ['a missing path', ['--data', '/no/such/file.npz'], /^shardtrain: \/no\/such\/file\.npz: /],
    ['NaN pixels', ['--data', fixture('bad_nan_pixel.npz')], /bad_nan_pixel\.npz.*NaN/],
    ['float pixels of 0..255 without a divisor, naming the flag', ['--data', fixture('ds_float_0_255.npz')], /ds_float_0_255\.npz: key 'trainimages': float pixels must lie in \[0, 1\] when no --pixel-divisor is given, but .* \(give a --pixel-divisor such as 255 for 0\.\.255 data\)$/],
    ['integer pixels past 255 without a divisor, naming the flag', ['--data', fixture('bad_int_pixels.npz')], /bad_int_pixels\.npz: key 'trainimages': integer pixels of dtype i4 must lie in 0\.\.255 when no --pixel-divisor is given \(.*; give a --pixel-divisor such as 65535 for 16-bit data\)$/],
    ['images smaller than the network', ['--data', fixture('ds_seed.npz'), '--kernel1', '8'], /ds_seed\.npz: --kernel1 8x8 does not fit the 4x5 images/],
    ['a flat array without --image-size', ['--data', fixture('ds_flat.npz')], /ds_flat\.npz: key 'trainimages': flat images of shape \(6, 20\) need --image-size HxW/],
    ['a key that is not in the archive', ['--data', fixture('ds_seed.npz'), '--train-images-key', 'pixels'], /ds_seed\.npz.*pixels/],
    // It would add a class no training image has.
    ['a test label above every training label', ['--data', fixture('bad_unseen_test_label.npz')], /bad_unseen_test_label\.npz: key 'testlabels': label 1 is 12, but the training labels go up to 9: no training image has class 12$/],
    // Only flat (N, D) images need a size: on (N, H, W) images the flag would do nothing.
    ['--image-size for images that are not flat', ['--data', fixture('ds_seed.npz'), '--image-size', '4x5'], /ds_seed\.npz: key 'trainimages': images of shape \(6, 4, 5\) are not flat, so --image-size 4x5 would do nothing; leave it out$/],
  ];
  // expectRefused checks that stdout is empty: no header, no epoch, training never started.
  for (const [what, args, message] of cases) {
    it.concurrent(what, async () => expectRefused(await runCliAsync(['train', ...withOverrides(smallNet, args)]), message));
  }
});
