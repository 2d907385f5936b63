// The CLI with images that have channels: --channels, and what it refuses in one line with exit 2.
// Fixtures by scripts/make_channel_fixtures.py and scripts/make_data_fixtures.py.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectRefused, runCli, runCliAsync, temporaryDirectories, withOverrides } from './helpers/cli.js';

const fresh = temporaryDirectories('channels');
const CHANNELS = fileURLToPath(new URL('./fixtures/channels/', import.meta.url));
const channels = (name: string) => join(CHANNELS, name);
const data = (name: string) => fileURLToPath(new URL(`./fixtures/data/${name}`, import.meta.url));
const GOLDEN = fileURLToPath(new URL('../../shared/golden/seed_fixed_epoch1_weights.npz', import.meta.url));
// The fixtures' images are 4x5 or 5x6, so the network must be small enough to fit them.
const smallNet = ['--kernel1', '2', '--kernel2', '2', '--stride2', '1', '--filters1', '3', '--filters2', '2', '--threads', '1', '--epochs', '1'];

describe('train --data with channels refuses in one line, exit 2, before training', () => {
  const cases: [string, string[], RegExp][] = [
    [
      'a shape that does not say where its channels are: (4,3,6,3)',
      ['--data', channels('ambiguous_u1.npz')],
      /ambiguous_u1\.npz: key 'trainimages': images of shape \(4, 3, 6, 3\) are 3x6 with 3 channels if the channels come last \(N, H, W, C\), or 6x3 with 3 channels if they come first \(N, C, H, W\); give --channels last or first$/,
    ],
    ['--channels for (N,H,W) images', ['--data', channels('gray_nhw.npz'), '--channels', 'first'], /gray_nhw\.npz: key 'trainimages': images of shape \(4, 5, 6\) have no channel axis, so --channels first would do nothing; leave it out$/],
    ['--channels without --data', ['--channels', 'last'], /^shardtrain: --channels describes a --data file, and none is given: the embedded digits would ignore it$/],
    ['--channels neither first nor last', ['--data', channels('rgb_u1_nhwc.npz'), '--channels', 'middle'], /^shardtrain: --channels must be one of "first", "last", got "middle"$/],
    ['a NaN in channel 2: where it is', ['--data', channels('bad_nan_nhwc.npz')], /bad_nan_nhwc\.npz: key 'trainimages': image 1 channel 2 row 2 column 4 is NaN \(pixels must be finite\)$/],
    ['RGB training images and gray test images', ['--data', channels('bad_channels_mismatch.npz')], /bad_channels_mismatch\.npz: training images \('trainimages'\) are 3x5x6 but test images \('testimages'\) are 1x5x6$/],
    // Read correctly, but the seed's network reads one value per pixel: it would mix images.
    ['RGB images for the seed network', ['--data', channels('rgb_u1_nhwc.npz')], /rgb_u1_nhwc\.npz: the images have 3 channels and the seed network takes gray images: describe a network for them with --model$/],
    ['RGB images, said to be channel-last, for the seed network', ['--data', channels('ambiguous_u1.npz'), '--channels', 'last'], /the images have 3 channels and the seed network takes gray images/],
  ];
  for (const [what, args, message] of cases) {
    it.concurrent(what, async () => expectRefused(await runCliAsync(['train', ...withOverrides(smallNet, args)]), message));
  }

  it('a layer stack trains on RGB images: its first convolution takes their 3 channels', () => {
    const r = runCli(['train', '--data', channels('rgb_u1_nhwc.npz'), '--model', 'conv4k2,relu,flatten,dense', '--epochs', '1', '--threads', '2', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.split('\n')[0]).model;
    expect(summary.input).toEqual([3, 5, 6]);
    expect(summary.rows[0].parameters).toBe(4 * 3 * 2 * 2 + 4);
  });

  it('eval refuses RGB images for the seed network\'s weights', () => {
    expectRefused(runCli(['eval', '--weights', GOLDEN, '--data', channels('rgb_u1_nhwc.npz')]), /rgb_u1_nhwc\.npz: the images have 3 channels \(3x5x6\), and the weights' network takes 1 \(gray images\)$/);
  });

  it('eval words the layout with --channels too', () => {
    expectRefused(runCli(['eval', '--weights', GOLDEN, '--data', channels('ambiguous_u1.npz')]), /give --channels last or first$/);
  });
});

describe('--channels on gray (N,H,W,1) images, and in a checkpoint', () => {
  it('trains with --channels last; a resume that says first is refused naming the flag', () => {
    const dir = join(fresh(), 'run');
    const first = runCli(['train', ...smallNet, '--data', data('ds_float32_nhwc.npz'), '--channels', 'last', '--checkpoint', dir]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/6 train \/ 3 test 4x5 images/);
    expectRefused(
      runCli(['train', '--resume', dir, '--channels', 'first', '--epochs', '2', '--threads', '1']),
      /--resume .*run: the checkpoint was trained with --channels last, not with --channels first$/,
    );
    const resumed = runCli(['train', '--resume', dir, '--channels', 'last', '--epochs', '2', '--threads', '1']);
    expect(resumed.status, resumed.stderr).toBe(0);
  });
});

describe('predict with channels, for the seed network (gray)', () => {
  /** --json predictions, the fixtures as the working directory. */
  const predict = (args: string[]) => {
    const r = runCli(['predict', '--json', '--weights', GOLDEN, '--resize', '--image-size', '28', ...args], { cwd: CHANNELS });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout).predictions as { input: string; probabilities: number[] }[];
  };

  it('an RGB (N,H,W,3) uint8 stack gives the bits of a PNG with the same samples (luminance)', () => {
    const [png, npy0, npy1] = predict(['rgb8.png', 'stack_nhwc_u1.npy']);
    expect(npy0.input).toBe('stack_nhwc_u1.npy[0]');
    expect(npy0.probabilities).toEqual(png.probabilities);
    expect(npy1.probabilities).not.toEqual(png.probabilities);
  });

  it('--channels decides for an array whose shape does not say', () => {
    const [last] = predict(['--channels', 'last', 'stack_ambiguous_u1.npy']);
    const [first] = predict(['--channels', 'first', 'stack_ambiguous_u1.npy']);
    expect(last.probabilities).not.toEqual(first.probabilities);
  });

  const cases: [string, string[], RegExp][] = [
    [
      'an ambiguous stack without --channels',
      ['stack_ambiguous_u1.npy'],
      /^shardtrain: stack_ambiguous_u1\.npy: images of shape \(2, 3, 6, 3\) are 3x6 with 3 channels .* give --channels last or first$/,
    ],
    [
      'two channels, which are neither gray nor RGB',
      ['--channels', 'last', '--resize', '--image-size', '28', 'stack_nhwc2_u1.npy'],
      /^shardtrain: stack_nhwc2_u1\.npy\[0\]: the image has 2 channels but the network takes 1; predict turns RGB into gray and gray into RGB, nothing else$/,
    ],
    ['a float above 1 in channel 2', ['bad_range_nchw_f8.npy'], /bad_range_nchw_f8\.npy: float pixels must lie in \[0, 1\] when no --pixel-divisor is given, but image 1 channel 2 row 3 column 4 is 1\.5$/],
  ];
  for (const [what, args, message] of cases) {
    it.concurrent(what, async () => expectRefused(await runCliAsync(['predict', '--weights', GOLDEN, ...args], { cwd: CHANNELS }), message));
  }
});
