import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI, expectRefused, runCli, runCliAsync, withOverrides, trainJson } from './helpers/cli.js';

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

describe('train --data refuses bad data in one line naming the file, exit 2, before training', () => {
  const cases: [string, string[], RegExp][] = [
    ['a missing path', ['--data', '/no/such/file.npz'], /^shardtrain: \/no\/such\/file\.npz: /],
    ['NaN pixels', ['--data', fixture('bad_nan_pixel.npz')], /bad_nan_pixel\.npz.*NaN/],
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
