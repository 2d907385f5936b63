import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNpz } from '../src/data/npz.js';
import { encodeNpy } from '../src/data/npz-write.js';
import { saveWeights } from '../src/io/weights-file.js';
import { deriveDims, SEED_MODEL } from '../src/model/config.js';
import { parameterLayout } from '../src/model/parameters.js';
import { expectRefused, runCli, runCliAsync, temporaryDirectories } from './helpers/cli.js';
import { numpyImportable, PYTHON } from './helpers/python.js';

const fresh = temporaryDirectories('predict');

const GOLDEN = new URL('../../shared/golden/seed_fixed_epoch1_weights.npz', import.meta.url).pathname;
const PER_SAMPLE = new URL('../../shared/golden/per_sample_grads.npz', import.meta.url).pathname;
const FIXTURES = new URL('./fixtures/predict/', import.meta.url).pathname;
const TORCH_WEIGHTS = new URL('./fixtures/weights/torch_seed_float32.npz', import.meta.url).pathname;
// The seed's numpy forward pass on what each input should decode to (scripts/make_predict_fixtures.py),
// and PyTorch's softmax for its own network on the ten digits (scripts/make_torch_weights_fixture.py).
const EXPECTED: Record<string, { class: number; probabilities: number[] }> = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')).cases;
const TORCH = JSON.parse(readFileSync(new URL('./fixtures/weights/torch_seed_float32.json', import.meta.url), 'utf8'));

interface PredictJson {
  weights: string;
  dtype: string;
  configSource: string;
  config: { imageHeight: number; imageWidth: number; classes: number };
  invert: boolean;
  resize: boolean;
  predictions: { input: string; file: string; index: number | null; resizedFrom: [number, number] | null; class: number; probability: number; probabilities: number[] }[];
}

/** Runs predict --json with the fixtures as the working directory, so inputs are named as in expected.json. */
function predict(args: string[], weights = GOLDEN): PredictJson {
  const r = runCli(['predict', '--json', '--weights', weights, ...args], { cwd: FIXTURES });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout.trim().split('\n')).toHaveLength(1);
  return JSON.parse(r.stdout);
}

function expectClose(actual: number[], expected: number[], tolerance: number): void {
  expect(actual).toHaveLength(expected.length);
  const worst = Math.max(...actual.map((v, k) => Math.abs(v - expected[k])));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

const DIGIT_PNGS = [...Array(10).keys()].map((d) => `digit${d}.png`);
const FORMATS: [string, string][] = [
  ['grayscale 8-bit', 'digit7.png'],
  ['grayscale 16-bit (the low byte counts)', 'seven_gray16.png'],
  ['grayscale 1-bit', 'seven_gray1.png'],
  ['grayscale + alpha', 'seven_graya8.png'],
  ['RGB 8-bit (BT.601 luma)', 'seven_rgb8.png'],
  ['RGBA 8-bit (transparent background over black)', 'seven_rgba8.png'],
  ['palette', 'seven_palette8.png'],
  ['Adam7 interlaced', 'seven_interlaced.png'],
  ['dark on light, without --invert', 'seven_dark_on_light.png'],
  ['.npy float64 (28,28)', 'digit7_float64.npy'],
];

describe('shardtrain predict with the seed numpy program\'s weights', () => {
  let byInput: Map<string, PredictJson['predictions'][number]>;
  let run: PredictJson;
  beforeAll(() => {
    run = predict([...DIGIT_PNGS, 'digits_uint8.npy', 'digits_float32.npy', ...FORMATS.map(([, file]) => file)]);
    byInput = new Map(run.predictions.map((p) => [p.input, p]));
  });

  it('real MNIST test digits as PNG: the classes and probabilities numpy computes', () => {
    for (const name of DIGIT_PNGS) {
      const p = byInput.get(name)!;
      expect(p.class, name).toBe(EXPECTED[name].class);
      expectClose(p.probabilities, EXPECTED[name].probabilities, 1e-12);
    }
    // The seed's network gets most of these right and some wrong, as numpy says: 2 -> 3, 3 -> 8.
    expect(DIGIT_PNGS.map((n) => byInput.get(n)!.class)).toEqual([0, 1, 3, 8, 4, 5, 6, 7, 8, 9]);
  });

  it('a (10,28,28) uint8 stack gives 10 predictions, bit for bit those of the PNGs; float32 ones agree with numpy', () => {
    for (let d = 0; d < 10; d++) {
      expect(byInput.get(`digits_uint8.npy[${d}]`)!.probabilities).toEqual(byInput.get(`digit${d}.png`)!.probabilities);
      const f32 = byInput.get(`digits_float32.npy[${d}]`)!;
      expect(f32).toMatchObject({ file: 'digits_float32.npy', index: d });
      expectClose(f32.probabilities, EXPECTED[`digits_float32.npy[${d}]`].probabilities, 1e-12);
    }
  });

  for (const [format, file] of FORMATS) {
    it(`${format}: ${file}`, () => {
      const p = byInput.get(file)!;
      expect(p).toMatchObject({ file, index: null, resizedFrom: null, class: EXPECTED[file].class });
      expectClose(p.probabilities, EXPECTED[file].probabilities, 1e-12);
    });
  }

  it('gray stored as RGB or as a palette decodes to the very same values', () => {
    expect(byInput.get('seven_palette8.png')!.probabilities).toEqual(byInput.get('digit7.png')!.probabilities);
    expect(byInput.get('seven_interlaced.png')!.probabilities).toEqual(byInput.get('digit7.png')!.probabilities);
    const gray16 = byInput.get('seven_gray16.png')!.probabilities;
    expect(Math.max(...gray16.map((v, k) => Math.abs(v - byInput.get('digit7.png')!.probabilities[k])))).toBeGreaterThan(1e-6);
  });

  it('--json is one object: weights, dtype, configuration, options, one entry per image', () => {
    expect(run).toMatchObject({ dtype: 'float64', configSource: 'shapes', config: { imageHeight: 28, imageWidth: 28, classes: 10 }, invert: false, resize: false });
    expect(run.predictions).toHaveLength(10 + 10 + 10 + FORMATS.length);
    for (const p of run.predictions) {
      expect(p.probability).toBe(p.probabilities[p.class]);
      expect(p.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(Math.max(...p.probabilities)).toBe(p.probability);
    }
  });
});

describe.runIf(numpyImportable)('shardtrain predict --pixel-divisor: 16-bit .npy arrays', () => {
  it('the digits times 257 as uint16, over 65535, are classified exactly as the uint8 digits over 255', () => {
    const path = join(fresh(), 'digits_u16.npy');
    const code = 'import sys, numpy as np; np.save(sys.argv[2], np.load(sys.argv[1]).astype(np.uint16) * 257)';
    const r = spawnSync(PYTHON, ['-c', code, join(FIXTURES, 'digits_uint8.npy'), path], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const bytes = predict(['digits_uint8.npy']).predictions.map((p) => p.probabilities);
    expect(predict([path, '--pixel-divisor', '65535']).predictions.map((p) => p.probabilities)).toEqual(bytes);
    expectRefused(runCli(['predict', '--weights', GOLDEN, path]), /digits_u16\.npy: integer pixels must lie in 0\.\.255 when no --pixel-divisor is given, but image 0 row \d+ column \d+ is \d+ \(dtype u2\)$/);
  });
});

describe('shardtrain predict: polarity and sizes', () => {
  it('--invert turns dark-on-light into what the network expects', () => {
    const inverted = predict(['--invert', 'seven_dark_on_light.png']).predictions[0];
    expect(inverted.class).toBe(7);
    expectClose(inverted.probabilities, EXPECTED['seven_dark_on_light.png --invert'].probabilities, 1e-12);
  });

  it('without --invert a mostly light image gets a warning on stderr, and its prediction', () => {
    const r = runCli(['predict', '--weights', GOLDEN, 'seven_dark_on_light.png'], { cwd: FIXTURES });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^seven_dark_on_light\.png {2}class 2 /);
    expect(r.stderr).toBe(
      'shardtrain: warning: seven_dark_on_light.png is mostly light (mean 0.86); the network expects white digits on black like MNIST: give --invert for dark digits on light\n',
    );
  });

  it('--resize resamples by area: 56x56 (exact 2x, gives the 28x28 digit back), 40x36 and 14x14', () => {
    const r = predict(['--resize', '--image-size', '28', 'seven_56x56.png', 'seven_40x36.png', 'seven_14x14.png', 'digit7.png']);
    const [big, odd, small, plain] = r.predictions;
    expect(big.resizedFrom).toEqual([56, 56]);
    expect(big.probabilities).toEqual(plain.probabilities);
    expect(plain.resizedFrom).toBeNull();
    for (const p of [big, odd, small]) {
      expect(p.class).toBe(7);
      expectClose(p.probabilities, EXPECTED[`${p.input} --resize`].probabilities, 1e-12);
    }
  });

  it('weights that store no image size take the inputs\' size when it fits w (27x27 does too)', () => {
    const r = predict(['--resize', '--image-size', '27', 'digit7.png']);
    expect(r.config).toMatchObject({ imageHeight: 27, imageWidth: 27 });
    expect(r.predictions[0].resizedFrom).toEqual([28, 28]);
  });
});

describe('shardtrain predict with other weights', () => {
  let dir: string;
  beforeAll(() => {
    dir = fresh();
  });

  it('weights saved by train --save (configuration arrays) predict as the same weights without them', async () => {
    const golden = await readNpz(GOLDEN);
    const config = { ...SEED_MODEL, imageHeight: 28, imageWidth: 28, classes: 10 };
    const layout = parameterLayout(deriveDims(config));
    const params = new Float64Array(layout.total);
    for (const t of layout.tensors) params.set(golden.get(t.name)!.data as Float64Array, t.offset);
    const saved = join(dir, 'saved.npz');
    await saveWeights(saved, params, layout, { kind: 'seed', config });
    const r = predict(['digit7.png', 'digits_uint8.npy'], saved);
    expect(r.configSource).toBe('config arrays');
    expect(r.predictions[0].probabilities).toEqual(predict(['digit7.png']).predictions[0].probabilities);
    expectRefused(
      runCli(['predict', '--weights', saved, 'seven_56x56.png'], { cwd: FIXTURES }),
      /^shardtrain: seven_56x56\.png: the image is 56x56 but the network takes 28x28 images; give --resize to resample it \(area averaging\)$/,
    );
    expectRefused(runCli(['predict', '--weights', saved, '--image-size', '27', 'digit7.png'], { cwd: FIXTURES }), /--image-size 27x27 contradicts .*saved\.npz, which is for 28x28 images/);
    expect(predict(['--resize', 'seven_56x56.png'], saved).predictions[0].class).toBe(7);
  });

  it('a network PyTorch trained (float32): the probabilities PyTorch computed for the ten digits', () => {
    const r = predict(['digits_uint8.npy'], TORCH_WEIGHTS);
    expect(r.dtype).toBe('float32');
    r.predictions.forEach((p, d) => {
      const torch: number[] = TORCH.digitProbabilities[d];
      expect(p.class).toBe(torch.indexOf(Math.max(...torch)));
      expectClose(p.probabilities, torch, 2e-6);
    });
  });

  it("PyTorch autograd's golden weights and logits: float64 as computed there, and converted to float32", async () => {
    const golden = await readNpz(PER_SAMPLE);
    const images = join(dir, 'golden_images.npy');
    writeFileSync(images, encodeNpy(golden.get('images')!.data as Uint8Array, golden.get('images')!.shape));
    const logits = golden.get('logits')!.data as Float64Array;
    const softmax = (row: Float64Array) => {
      const max = Math.max(...row);
      const e = Array.from(row, (v) => Math.exp(v - max));
      const sum = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / sum);
    };
    for (const [dtype, tolerance] of [['float64', 1e-13], ['float32', 1e-5]] as const) {
      const r = predict(['--dtype', dtype, images], PER_SAMPLE);
      expect(r.dtype).toBe(dtype);
      expect(r.predictions).toHaveLength(8);
      r.predictions.forEach((p, i) => expectClose(p.probabilities, softmax(logits.subarray(i * 10, (i + 1) * 10)), tolerance));
    }
  });
});

describe('shardtrain predict output for people', () => {
  it('one line per image: name, class, its probability, all probabilities', () => {
    const r = runCli(['predict', '--weights', GOLDEN, 'digit7.png', 'digits_uint8.npy', '--resize', '--image-size', '28x28', 'seven_40x36.png'], { cwd: FIXTURES });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(12);
    expect(lines[0]).toBe('digit7.png  class 7  p 0.9970  probabilities 0.0003 0.0000 0.0000 0.0000 0.0000 0.0000 0.0000 0.9970 0.0000 0.0027');
    expect(lines[3]).toMatch(/^digits_uint8\.npy\[2\] {2}class 3 {2}p 0\.3989 {2}probabilities( \d\.\d{4}){10}$/);
    expect(lines[11]).toMatch(/^seven_40x36\.png {2}class 7 {2}p 0\.99\d\d {2}probabilities( \d\.\d{4}){10} {2}\(resized from 40x36\)$/);
  });

  it('--help says which weights it reads, that MNIST networks expect white digits on black, and what --invert, --resize and colour do', () => {
    const r = runCli(['predict', '--help']);
    expect(r.status).toBe(0);
    for (const text of ['--weights', '--invert', '--resize', '--image-size', '--json', '--dtype', 'white digits on a black background', '0.299 R + 0.587 G + 0.114 B', 'three equal planes', 'layer stack', 'area averaging']) {
      expect(r.stdout.replace(/\s+/g, ' ')).toContain(text); // yargs wraps the epilog
    }
  });
});

describe('shardtrain predict refuses bad input in one line with exit code 2, nothing on stdout', () => {
  const cases: [string, string[], RegExp][] = [
    ['a missing file', ['missing.png'], /^shardtrain: missing\.png: no such file$/],
    ['a text file named .png', ['not_a_png.png'], /not_a_png\.png: neither a PNG image nor a \.npy array; predict reads PNG images and \.npy arrays$/],
    ['an empty file', ['empty.png'], /empty\.png: empty file; predict reads PNG images/],
    ['a JPEG', ['photo.jpg'], /photo\.jpg: a JPEG image, not a PNG/],
    ['a PNG whose data fails its CRC', ['corrupt_crc.png'], /corrupt_crc\.png: corrupt PNG: CRC-32 mismatch in chunk IDAT at byte 33$/],
    ['a PNG whose image data does not inflate', ['corrupt_deflate.png'], /corrupt_deflate\.png: corrupt PNG: the image data does not inflate \(invalid block type\)$/],
    ['a PNG of a compression method that does not exist', ['bad_compression.png'], /bad_compression\.png: corrupt PNG: compression method 1 and filter method 0; only 0 and 0 exist$/],
    ['a PNG of a bit depth its colour type does not have', ['bad_depth_rgb4.png'], /bad_depth_rgb4\.png: corrupt PNG: colour type 2 takes bit depths 8, 16, not 4$/],
    ['a truncated PNG', ['truncated.png'], /truncated\.png: truncated PNG: chunk IDAT at byte 33 needs 194 bytes, the file ends after 44$/],
    ['a directory', ['.'], /^shardtrain: \.: is a directory, not an image$/],
    ['a PNG of another size, without --resize', ['seven_56x56.png'], /seven_56x56\.png: the image is 56x56 but .*seed_fixed_epoch1_weights\.npz takes 27\.\.28 x 27\.\.28 images .*give --resize --image-size HxW/],
    ['an .npy of another size, without --resize', ['--image-size', '28', 'seven_20x20_uint8.npy'], /seven_20x20_uint8\.npy: the image is 20x20 but the network takes 28x28 images; give --resize/],
    ['inputs of several sizes and no image size', ['--resize', 'digit7.png', 'seven_40x36.png'], /the file stores no image size .* and the inputs differ in size \(digit7\.png is 28x28, seven_40x36\.png is 40x36\); give --resize --image-size HxW \(sizes that fit: 27\.\.28 x 27\.\.28\)$/],
    ['an --image-size w does not fit', ['--image-size', '20', 'digit7.png'], /array 'w' has shape \(10, 8, 9, 9\), but --image-size \(20x20\) with strides 1 and 2/],
    ['float pixels above 1', ['bad_range_float64.npy'], /bad_range_float64\.npy: float pixels must lie in \[0, 1\] when no --pixel-divisor is given, but image 0 row 0 column 0 is 1\.5$/],
    ['a NaN pixel', ['bad_nan_float64.npy'], /bad_nan_float64\.npy: image 0 row 3 column 4 is NaN \(pixels must be finite\)$/],
    ['a colour .npy (28,28,3)', ['bad_shape_rgb.npy'], /bad_shape_rgb\.npy: an array of shape \(28, 28, 3\) looks like one colour image/],
    ['--pixel-divisor on PNGs alone, whose bit depth divides them', ['--pixel-divisor', '255', 'digit7.png', 'digit1.png'], /^shardtrain: --pixel-divisor 255 applies to \.npy arrays, and every input is a PNG, which says its own channels and bit depth \(its values are divided by its bit depth's largest\); leave it out$/],
    ['--channels on PNGs alone', ['--channels', 'last', 'digit7.png'], /^shardtrain: --channels last applies to \.npy arrays, and every input is a PNG, which says its own channels and bit depth; leave it out$/],
    // As --data refuses it: the flag would be silently ignored.
    ['--channels on a colour (28,28,3) array for a gray network: the colour is what is wrong', ['--channels', 'last', 'bad_shape_rgb.npy'], /bad_shape_rgb\.npy: an array of shape \(28, 28, 3\) looks like one colour image/],
    ['--channels on a stack without a channel axis', ['--channels', 'last', 'digits_uint8.npy'], /digits_uint8\.npy: an array of shape \(10, 28, 28\) is read without a channel axis, as a stack for a gray network, so --channels last would do nothing; leave it out$/],
    ['a good image followed by a bad one', ['digit7.png', 'corrupt_crc.png'], /corrupt_crc\.png: corrupt PNG/],
    ['no image at all', [], /Not enough non-option arguments/],
    // yargs dropped it: alone it left no images (an internal error), beside others it vanished.
    ['- as an image', ['-'], /^shardtrain: -: shardtrain reads files, not standard input; give a path \(\.\/- for a file named -\)$/],
    ['- beside an image', ['-', 'digit7.png'], /^shardtrain: -: shardtrain reads files, not standard input/],
    // yargs took the image as the unknown flag's value, then said only that no image was given.
    ['an unknown flag before an image', ['--bogus', 'digit7.png'], /^shardtrain: --bogus: no such flag here \(--help lists them\)$/],
    ['an empty image path', ['digit7.png', ''], /^shardtrain: an image path is empty \(""\)$/],
    // yargs would drop -d.png and classify the rest.
    ['an image after --', ['digit7.png', '--', '-d.png'], /^shardtrain: -- "-d\.png": nothing after -- is read; give these before it \(a file whose name starts with - as \.\/-name\)$/],
    ['--image-size with no value', ['digit7.png', '--image-size'], /^shardtrain: --image-size needs a value$/],
  ];
  for (const [what, args, message] of cases) {
    it.concurrent(what, async () => expectRefused(await runCliAsync(['predict', '--weights', GOLDEN, ...args], { cwd: FIXTURES }), message));
  }

  it('--pixel-divisor with a PNG and an .npy: the array takes it, the PNG its bit depth', () => {
    const args = ['predict', '--json', '--weights', GOLDEN, 'digit7.png', 'seven_20x20_uint8.npy', '--resize', '--image-size', '28x28'];
    const predictions = (extra: string[]) => {
      const r = runCli([...args, ...extra], { cwd: FIXTURES });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout).predictions as { probabilities: number[] }[];
    };
    const [plain, halved] = [predictions([]), predictions(['--pixel-divisor', '510'])];
    expect(halved[0]).toEqual(plain[0]);
    expect(halved[1].probabilities).not.toEqual(plain[1].probabilities);
  });

  it('bad weights files', () => {
    expectRefused(runCli(['predict', '--weights', 'missing.npz', 'digit7.png'], { cwd: FIXTURES }), /^shardtrain: missing\.npz: no such file$/);
    expectRefused(runCli(['predict', '--weights', 'digits_uint8.npy', 'digit7.png'], { cwd: FIXTURES }), /digits_uint8\.npy: a single \.npy array, not an \.npz archive$/);
    expectRefused(runCli(['predict', 'digit7.png'], { cwd: FIXTURES }), /Missing required argument: weights/);
  });
});
