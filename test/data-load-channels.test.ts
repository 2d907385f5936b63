// loadDataset on images with channels (fixtures and expected values by scripts/make_channel_fixtures.py):
// each image must hold numpy's np.transpose(x, (0, 3, 1, 2)) of channel-last data, value for value.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ChannelsLayout, type ImageSet, imageShapeText, imageValues, takeFirst } from '../src/data/dataset.js';
import { loadDataset, type DataOptions } from '../src/data/load-data.js';
import { SettingError, UserError } from '../src/util/errors.js';

const FIXTURES = new URL('./fixtures/channels/', import.meta.url).pathname;
const fixture = (name: string) => join(FIXTURES, name);

interface ExpectedSet {
  shape: [number, number, number, number];
  values: number[];
}
const EXPECTED: {
  trainLabels: number[];
  testLabels: number[];
  datasets: Record<string, Partial<Record<ChannelsLayout, { train: ExpectedSet; test: ExpectedSet }>>>;
} = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8'));

function expectSet(set: ImageSet, want: ExpectedSet, labels: number[], kind: string) {
  const [count, channels, height, width] = want.shape;
  expect({ count: set.count, channels: set.channels, height: set.height, width: set.width }).toEqual({ count, channels, height, width });
  expect(set.pixels.constructor.name).toBe(kind);
  expect(set.pixels.buffer).toBeInstanceOf(SharedArrayBuffer);
  expect(set.pixels.length).toBe(count * imageValues(set));
  expect(Array.from(set.labels)).toEqual(labels);
  expect(Array.from(set.pixels as ArrayLike<number>)).toEqual(want.values);
}

async function expectDataset(name: string, layout: ChannelsLayout, kind: string, divisor: number, options: Partial<DataOptions> = {}) {
  const d = await loadDataset({ path: fixture(name), ...options });
  const want = EXPECTED.datasets[name][layout]!;
  expectSet(d.train, want.train, EXPECTED.trainLabels, kind);
  expectSet(d.test, want.test, EXPECTED.testLabels, kind);
  expect(d.train.divisor).toBe(divisor);
  return d;
}

async function messageOf(options: DataOptions): Promise<{ message: string; error: unknown }> {
  try {
    await loadDataset(options);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return { message: (e as Error).message, error: e };
  }
  throw new Error('loadDataset did not refuse');
}

describe('loadDataset: images with channels, as numpy transposes them to (N,C,H,W)', () => {
  it('rgb_u1_nhwc.npz: uint8 (4,5,6,3) channel-last, reordered while copied to shared memory', () =>
    expectDataset('rgb_u1_nhwc.npz', 'last', 'Uint8Array', 255));
  it('rgb_i2_nhwc.npz: int16 (4,5,6,3), one split big-endian, become bytes and are reordered', () =>
    expectDataset('rgb_i2_nhwc.npz', 'last', 'Uint8Array', 255));
  it('rgb_f8_bigendian_fortran_nhwc.npz: >f8 (4,5,6,3) in Fortran order', () =>
    expectDataset('rgb_f8_bigendian_fortran_nhwc.npz', 'last', 'Float64Array', 1));
  it("rgb_f4_nchw.npz: float32 (4,3,5,6) channel-first, Keras' keys, compressed: taken as they are", () =>
    expectDataset('rgb_f4_nchw.npz', 'first', 'Float32Array', 1));
  it('two_channels_u1.npz: (4,5,6,2) with channelsLayout last: 2 channels', () =>
    expectDataset('two_channels_u1.npz', 'last', 'Uint8Array', 255, { channelsLayout: 'last' }));
  it('ambiguous_u1.npz: (4,3,6,3) is 3x6 RGB with channelsLayout last, 6x3 RGB with first', async () => {
    await expectDataset('ambiguous_u1.npz', 'last', 'Uint8Array', 255, { channelsLayout: 'last' });
    await expectDataset('ambiguous_u1.npz', 'first', 'Uint8Array', 255, { channelsLayout: 'first' });
  });
  it('channelsLayout decides even where the shape says otherwise: rgb_f4_nchw.npz (4,3,5,6) read last is 3x5 with 6 channels', async () => {
    const d = await loadDataset({ path: fixture('rgb_f4_nchw.npz'), channelsLayout: 'last' });
    expect([d.train.channels, d.train.height, d.train.width]).toEqual([6, 3, 5]);
  });

  it('the shape text says CxHxW; takeFirst keeps whole images of C*H*W values', async () => {
    const d = await loadDataset({ path: fixture('rgb_u1_nhwc.npz') });
    expect(imageShapeText(d.train)).toBe('3x5x6');
    const first = takeFirst(d.train, 1);
    expect(first.pixels.length).toBe(90);
    expect(Array.from(first.pixels)).toEqual(EXPECTED.datasets['rgb_u1_nhwc.npz'].last!.train.values.slice(0, 90));
    const gray = await loadDataset({ path: fixture('gray_nhw.npz') });
    expect([gray.train.channels, imageShapeText(gray.train), imageValues(gray.train)]).toEqual([1, '5x6', 30]);
  });
});

describe('loadDataset refuses images with channels in one line', () => {
  const cases: [string, DataOptions, string][] = [
    [
      '(4,3,6,3) without channelsLayout: both axes could hold RGB',
      { path: fixture('ambiguous_u1.npz') },
      "key 'trainimages': images of shape (4, 3, 6, 3) are 3x6 with 3 channels if the channels come last (N, H, W, C), or 6x3 with 3 channels if they come first (N, C, H, W); give channels layout last or first",
    ],
    [
      '(4,5,6,2) without channelsLayout: neither axis is 1, 3 or 4',
      { path: fixture('two_channels_u1.npz') },
      "key 'trainimages': images of shape (4, 5, 6, 2) are 5x6 with 2 channels if the channels come last (N, H, W, C), or 6x2 with 5 channels if they come first (N, C, H, W); give channels layout last or first",
    ],
    ['a NaN in channel 2, channel-last: its position in the file', { path: fixture('bad_nan_nhwc.npz') }, "key 'trainimages': image 1 channel 2 row 2 column 4 is NaN (pixels must be finite)"],
    [
      '300 in int16 channel 1, channel-first',
      { path: fixture('bad_int_nchw.npz') },
      "key 'trainimages': integer pixels of dtype i2 must lie in 0..255 when no pixel divisor is given (image 3 channel 1 row 0 column 5 is 300; give a pixel divisor such as 65535 for 16-bit data)",
    ],
    ['RGB training images, gray test images', { path: fixture('bad_channels_mismatch.npz') }, "training images ('trainimages') are 3x5x6 but test images ('testimages') are 1x5x6"],
    [
      'channelsLayout for (N,H,W) images, which have no channel axis',
      { path: fixture('gray_nhw.npz'), channelsLayout: 'first' },
      "key 'trainimages': images of shape (4, 5, 6) have no channel axis, so channels layout first would do nothing; leave it out",
    ],
  ];
  for (const [what, options, problem] of cases) {
    it(what, async () => {
      const { message } = await messageOf(options);
      expect(message).toBe(`${options.path}: ${problem}`);
    });
  }

  it('the layout is a SettingError, so the CLI can name its flag', async () => {
    const { error } = await messageOf({ path: fixture('ambiguous_u1.npz') });
    expect(error).toBeInstanceOf(SettingError);
    expect((error as SettingError).setting).toBe('channelsLayout');
    expect((error as SettingError).wordedWith((s) => `--${s}`)).toMatch(/give --channelsLayout last or first$/);
  });

  it('a layout that is neither first nor last', async () => {
    const { message } = await messageOf({ path: fixture('rgb_u1_nhwc.npz'), channelsLayout: 'middle' as ChannelsLayout });
    expect(message).toBe("channels layout must be 'first' or 'last', got middle");
  });
});
