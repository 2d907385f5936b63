// predict's inputs with channels, at the function level (readImageFile, prepareInput) for a network
// of 3 channels (test/cli-eval-predict-stack.test.ts runs them through one). Fixtures and the values numpy
// says each must give: scripts/make_channel_fixtures.py.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { type InputImage, readImageFile, type ReadImageOptions } from '../src/data/image-file.js';
import { resizeArea } from '../src/data/resize-area.js';
import { prepareInput } from '../src/eval/prepare-input.js';
import { SettingError, UserError } from '../src/util/errors.js';
import { numpyImportable, PYTHON } from './helpers/python.js';

const FIXTURES = new URL('./fixtures/channels/', import.meta.url).pathname;
const fixture = (name: string) => join(FIXTURES, name);

interface ExpectedInput {
  shape: [number, number, number];
  values: number[];
  luminance: number[] | null;
  alpha: number[] | null;
  composited: number[];
}
const EXPECTED: Record<string, ExpectedInput> = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')).predict;

const RGB: ReadImageOptions = { networkChannels: 3 };
const read = (name: string, options: ReadImageOptions = RGB) => readImageFile(fixture(name), options);
const prepared = (image: InputImage, channels: number, more: { invert?: boolean; resize?: boolean; height?: number; width?: number } = {}) =>
  prepareInput(image, { channels, height: more.height ?? image.height, width: more.width ?? image.width, invert: more.invert ?? false, resize: more.resize ?? false });

function expectImage(image: InputImage, key: string) {
  const want = EXPECTED[key];
  expect([image.channels, image.height, image.width], key).toEqual(want.shape);
  expect(Array.from(image.values), key).toEqual(want.values);
  if (want.luminance !== null) expect(Array.from(image.luminance!), key).toEqual(want.luminance);
  expect(image.alpha === null ? null : Array.from(image.alpha)).toEqual(want.alpha);
}

const scratch = mkdtempSync(join(tmpdir(), 'predict-channels-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A .npy file numpy writes from `expression`. */
function numpyArray(name: string, expression: string): string {
  const file = join(scratch, `${name}.npy`);
  const r = spawnSync(PYTHON, ['-c', `import sys, numpy as np\nnp.save(sys.argv[1], ${expression})`, file], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return file;
}

function refusal(run: () => unknown): UserError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return e as UserError;
  }
  throw new Error('not refused');
}

describe('readImageFile: the (C,H,W) values numpy says, and the luminance a gray network sees', () => {
  for (const name of ['rgb8.png', 'rgba8.png', 'rgb16.png', 'gray8.png', 'image_chw_f4.npy', 'image_hwc_u1.npy']) {
    it(name, () => {
      const [image] = read(name);
      expect(image).toMatchObject({ name: fixture(name), index: null });
      expectImage(image, name);
    });
  }

  it('stack_nhwc_u1.npy (2,5,6,3) and stack_nchw_f8.npy (2,3,5,6): two images each', () => {
    for (const stack of ['stack_nhwc_u1.npy', 'stack_nchw_f8.npy']) {
      const images = read(stack);
      expect(images).toHaveLength(2);
      images.forEach((image, i) => {
        expect(image).toMatchObject({ name: `${fixture(stack)}[${i}]`, index: i });
        expectImage(image, `${stack}[${i}]`);
      });
    }
  });

  it('a stack is read the same for a gray network: (N,H,W,C) is 4-D whatever the network', () => {
    read('stack_nhwc_u1.npy', {}).forEach((image, i) => expectImage(image, `stack_nhwc_u1.npy[${i}]`));
  });

  it('stack_ambiguous_u1.npy (2,3,6,3): channelsLayout decides, each reading as numpy transposes it', () => {
    for (const layout of ['last', 'first'] as const) {
      read('stack_ambiguous_u1.npy', { networkChannels: 3, channelsLayout: layout }).forEach((image, i) => {
        expect([image.channels, image.height, image.width]).toEqual(EXPECTED[`stack_ambiguous_u1.npy[${i}] ${layout}`].shape);
        expect(Array.from(image.values)).toEqual(EXPECTED[`stack_ambiguous_u1.npy[${i}] ${layout}`].values);
      });
    }
  });

  it('the same RGB samples as a PNG and in a uint8 .npy give the same bits', () => {
    const [png] = read('rgb8.png');
    const [npy] = read('stack_nhwc_u1.npy');
    expect(npy.values).toEqual(png.values);
    expect(npy.luminance).toEqual(png.luminance);
  });
});

describe.runIf(numpyImportable)('readImageFile: one gray image stored channel-last (H, W, 1), as Keras keeps them', () => {
  it('is one image for a gray network, the (H, W) values, not H images one pixel wide', () => {
    const flat = numpyArray('gray', 'np.arange(5 * 6, dtype=np.uint8).reshape(5, 6) * 7');
    const last = numpyArray('gray1', '(np.arange(5 * 6, dtype=np.uint8).reshape(5, 6) * 7)[..., None]');
    for (const options of [{}, { networkWidth: 6 }, { channelsLayout: 'last' as const }]) {
      const images = readImageFile(last, options);
      expect(images).toHaveLength(1);
      const [want] = readImageFile(flat);
      expect(images[0]).toMatchObject({ name: last, index: null, channels: 1, height: 5, width: 6 });
      expect(Array.from(images[0].values)).toEqual(Array.from(want.values));
    }
  });

  it('a network one pixel wide still reads it as a stack of 5 images 6x1, and channelsLayout first is refused', () => {
    const last = numpyArray('narrow', 'np.zeros((5, 6, 1), dtype=np.uint8)');
    expect(readImageFile(last, { networkWidth: 1 })).toHaveLength(5);
    const e = refusal(() => readImageFile(last, { channelsLayout: 'first' }));
    expect(e).toBeInstanceOf(SettingError);
    expect(e.message).toBe(`${last}: an array of shape (5, 6, 1) is one gray image with its channel axis last, so channels layout first does not fit it`);
  });
});

describe('readImageFile: bytes after IEND', () => {
  it('are no part of the image, as libpng and Pillow read it: the image is the one without them', () => {
    const png = fixture('rgb8.png');
    const trailed = join(mkdtempSync(join(tmpdir(), 'trailing-')), 'trailed.png');
    writeFileSync(trailed, Buffer.concat([readFileSync(png), Buffer.from('\n')]));
    const [[plain], [withTrail]] = [readImageFile(png, RGB), readImageFile(trailed, RGB)];
    expect(Array.from(withTrail.values)).toEqual(Array.from(plain.values));
    rmSync(dirname(trailed), { recursive: true });
  });
});

describe('prepareInput: what a network of 3 channels sees', () => {
  it('RGB as it is: rgb8.png, rgb16.png, image_chw_f4.npy, stacks', () => {
    for (const [name, key] of [['rgb8.png', 'rgb8.png'], ['rgb16.png', 'rgb16.png'], ['image_chw_f4.npy', 'image_chw_f4.npy'], ['stack_nchw_f8.npy', 'stack_nchw_f8.npy[0]']]) {
      const p = prepared(read(name)[0], 3);
      expect(Array.from(p.pixels), name).toEqual(EXPECTED[key].composited);
      expect(p.resizedFrom).toBeNull();
    }
  });

  it('RGBA: each channel times the opacity (over black), alpha is not a channel', () => {
    const p = prepared(read('rgba8.png')[0], 3);
    expect(p.pixels).toHaveLength(90);
    expect(Array.from(p.pixels)).toEqual(EXPECTED['rgba8.png'].composited);
    expect(p.pixels[0]).toBe(0); // alpha 0 at row 0 column 0: black in every channel
    expect([p.pixels[30], p.pixels[60]]).toEqual([0, 0]);
  });

  it('gray to a 3-channel network: three equal planes', () => {
    const [gray] = read('gray8.png');
    const values = EXPECTED['gray8.png'].values;
    expect(Array.from(prepared(gray, 3).pixels)).toEqual([...values, ...values, ...values]);
  });

  it('RGB to a gray network: the BT.601 luminance, as before networks had channels', () => {
    for (const name of ['rgb8.png', 'image_hwc_u1.npy']) {
      expect(Array.from(prepared(read(name)[0], 1).pixels)).toEqual(EXPECTED[name].luminance);
    }
  });

  it('--invert inverts every channel; the mean is over all of them', () => {
    const p = prepared(read('rgb8.png')[0], 3, { invert: true });
    const want = EXPECTED['rgb8.png'].values.map((v) => 1 - v);
    expect(Array.from(p.pixels)).toEqual(want);
    expect(p.meanValue).toBe(want.reduce((a, b) => a + b, 0) / 90);
  });

  it('--resize resamples each plane as the gray resampler does: 5x6 -> 10x12 -> 7x4', () => {
    const [image] = read('rgb8.png');
    for (const [h, w] of [[10, 12], [7, 4]]) {
      const p = prepared(image, 3, { resize: true, height: h, width: w });
      expect(p.resizedFrom).toEqual([5, 6]);
      expect(p.pixels).toHaveLength(3 * h * w);
      for (let c = 0; c < 3; c++) {
        const plane = Float64Array.from(EXPECTED['rgb8.png'].values.slice(c * 30, (c + 1) * 30));
        expect(p.pixels.subarray(c * h * w, (c + 1) * h * w)).toEqual(resizeArea(plane, 5, 6, h, w));
      }
    }
  });
});

describe('predict refuses images with channels it cannot give the network', () => {
  it('two channels to a 3-channel network, or to a gray one', () => {
    const [two] = read('image_hwc2_u1.npy', { networkChannels: 3, channelsLayout: 'last' });
    expectImage(two, 'image_hwc2_u1.npy');
    for (const channels of [3, 1]) {
      expect(refusal(() => prepared(two, channels)).message).toBe(
        `${fixture('image_hwc2_u1.npy')}: the image has 2 channels but the network takes ${channels}; predict turns RGB into gray and gray into RGB, nothing else`,
      );
    }
  });

  it('an ambiguous stack without channelsLayout: a SettingError naming both readings', () => {
    const e = refusal(() => read('stack_ambiguous_u1.npy'));
    expect(e).toBeInstanceOf(SettingError);
    expect(e.message).toBe(
      `${fixture('stack_ambiguous_u1.npy')}: images of shape (2, 3, 6, 3) are 3x6 with 3 channels if the channels come last (N, H, W, C), or 6x3 with 3 channels if they come first (N, C, H, W); give channels layout last or first`,
    );
  });

  it('one image (5,6,2) for a 3-channel network: no axis of 1 or 3 channels, so no channels layout would do', () => {
    expect(refusal(() => read('image_hwc2_u1.npy')).message).toBe(
      `${fixture('image_hwc2_u1.npy')}: an array of shape (5, 6, 2) has no axis of 1 or 3 channels at either end; the network takes one image (3, H, W) or (H, W, 3), and a stack of gray images goes as (N, 1, H, W) or (N, H, W, 1)`,
    );
  });

  it.runIf(numpyImportable)('an RGBA array (5,6,4) for a 3-channel network is read as 4 channels, and refused as such', () => {
    const file = numpyArray('rgba', 'np.zeros((5, 6, 4), dtype=np.uint8)');
    const [image] = readImageFile(file, RGB);
    expect([image.channels, image.height, image.width]).toEqual([4, 5, 6]);
    expect(refusal(() => prepared(image, 3)).message).toBe(`${file}: the image has 4 channels but the network takes 3; predict turns RGB into gray and gray into RGB, nothing else`);
  });

  it.runIf(numpyImportable)('a stack of gray images (N,H,W) for a 3-channel network says how a stack goes', () => {
    const file = numpyArray('stack', 'np.arange(7 * 5 * 6, dtype=np.uint8).reshape(7, 5, 6)');
    expect(refusal(() => readImageFile(file, RGB)).message).toBe(
      `${file}: an array of shape (7, 5, 6) has no axis of 1 or 3 channels at either end; the network takes one image (3, H, W) or (H, W, 3), and a stack of gray images goes as (N, 1, H, W) or (N, H, W, 1)`,
    );
  });

  it('a float above 1 names its channel (and the setting, in the domain\'s words: the CLI says --pixel-divisor)', () => {
    const e = refusal(() => read('bad_range_nchw_f8.npy'));
    expect(e).toBeInstanceOf(SettingError);
    expect(e.message).toBe(
      `${fixture('bad_range_nchw_f8.npy')}: float pixels must lie in [0, 1] when no pixel divisor is given, but image 1 channel 2 row 3 column 4 is 1.5`,
    );
  });

  it('a colour (H,W,3) array for a gray network is refused as before', () => {
    expect(refusal(() => read('image_hwc_u1.npy', {})).message).toMatch(/image_hwc_u1\.npy: an array of shape \(5, 6, 3\) looks like one colour image \(H, W, 3\)/);
  });
});
