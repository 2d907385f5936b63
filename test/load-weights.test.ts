import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpz } from '../src/data/npz.js';
import { type NpzWriteArray, writeNpz } from '../src/data/npz-write.js';
import { loadWeights, readWeightsFile } from '../src/io/load-weights.js';
import { saveWeights } from '../src/io/weights-file.js';
import { deriveDims, SEED_MODEL, type ModelConfig } from '../src/model/config.js';
import { parameterLayout } from '../src/model/parameters.js';
import { UserError } from '../src/util/errors.js';
import { numpyImportable, PYTHON } from './helpers/python.js';

const GOLDEN = new URL('../../shared/golden/seed_fixed_epoch1_weights.npz', import.meta.url).pathname;
const FIXTURES = new URL('./fixtures/weights/', import.meta.url).pathname;
const SEED_28: ModelConfig = { ...SEED_MODEL, imageHeight: 28, imageWidth: 28, classes: 10 };

let dir: string;
let seed: Record<string, NpzWriteArray>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shardtrain-load-weights-'));
  const golden = await readNpz(GOLDEN);
  seed = Object.fromEntries([...golden].map(([k, a]) => [k, { data: a.data as Float64Array, shape: a.shape }]));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The golden weights with some arrays replaced (or removed with undefined), written to a fresh file. */
async function variant(name: string, changes: Record<string, NpzWriteArray | undefined>): Promise<string> {
  const arrays: Record<string, NpzWriteArray> = { ...seed };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete arrays[k];
    else arrays[k] = v;
  }
  const path = join(dir, `${name}.npz`);
  await writeNpz(path, arrays);
  return path;
}

function copyOf(key: string, edit: (data: Float64Array) => void = () => {}): NpzWriteArray {
  const data = Float64Array.from(seed[key].data as Float64Array);
  edit(data);
  return { data, shape: seed[key].shape };
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  const message = (error as UserError).message;
  expect(message.split('\n')).toHaveLength(1);
  return message;
}

describe('loadWeights reads the seed numpy program\'s weights (no configuration arrays)', () => {
  it('infers the seed network from the shapes, strides 1 and 2, float64, in the flat layout', async () => {
    const w = await loadWeights(GOLDEN, { imageSize: [28, 28] });
    expect(w.config).toEqual(SEED_28);
    expect(w.configSource).toBe('shapes');
    expect([w.dtype, w.storedDtype]).toEqual(['float64', 'float64']);
    const layout = parameterLayout(deriveDims(w.config));
    expect(w.params).toBeInstanceOf(Float64Array);
    expect(w.params.length).toBe(layout.total);
    for (const t of layout.tensors) {
      expect(Array.from(w.params.subarray(t.offset, t.offset + t.length))).toEqual(Array.from(seed[t.name].data as Float64Array));
    }
  });

  it('knows which image sizes fit w (9x9 after strides 1 and 2: 27..28 pixels a side)', async () => {
    const w = await readWeightsFile(GOLDEN);
    expect(w.imageSize).toBeUndefined();
    expect(w.fittingImageSizes).toEqual({ heights: [27, 28], widths: [27, 28] });
    expect(w.configFor(27, 28).imageHeight).toBe(27);
  });

  it('--dtype float32 rounds the float64 weights once', async () => {
    const w = await loadWeights(GOLDEN, { imageSize: [28, 28], dtype: 'float32' });
    expect(w.params).toBeInstanceOf(Float32Array);
    expect(w.params[100]).toBe(Math.fround((seed.kern.data as Float64Array)[100]));
  });

  it('without an image size the configuration cannot be completed', async () => {
    expect(await refusal(loadWeights(GOLDEN))).toMatch(/seed_fixed_epoch1_weights\.npz: the file stores no image size/);
  });

  it('strides that do not give w\'s 9x9 are refused naming the file, w and both shapes', async () => {
    const message = await refusal(loadWeights(GOLDEN, { imageSize: [28, 28], stride1: 2, imagesName: 'the test images' }));
    expect(message).toBe(
      `${GOLDEN}: array 'w' has shape (10, 8, 9, 9), but the test images (28x28) with strides 2 and 2 give conv1 output 11x11 and conv2 output 4x4, ` +
        'so w must be (10, 8, 4, 4); the weights were trained on another image size or with other strides (stride1, stride2)',
    );
  });

  it('an image size that does not give w\'s 9x9 is refused', async () => {
    expect(await refusal(loadWeights(GOLDEN, { imageSize: [32, 28] }))).toMatch(/array 'w' has shape \(10, 8, 9, 9\), but the images \(32x28\) with strides 1 and 2 give conv1 output 25x21 and conv2 output 11x9/);
  });

  it('images smaller than the kernels are refused', async () => {
    expect(await refusal(loadWeights(GOLDEN, { imageSize: [4, 5], imagesName: 'the test images of d.npz' }))).toMatch(/array 'kern' holds 8x8 kernels, larger than the test images of d\.npz \(4x5\)$/);
  });
});

describe('loadWeights reads float32 and PyTorch-shaped files', () => {
  it('a float32 file computes in float32 unless --dtype float64 is asked', async () => {
    const f32 = await loadWeights(join(FIXTURES, 'seed_epoch1_float32.npz'), { imageSize: [28, 28] });
    expect([f32.dtype, f32.storedDtype]).toEqual(['float32', 'float32']);
    expect(f32.params).toBeInstanceOf(Float32Array);
    const f64 = await loadWeights(join(FIXTURES, 'seed_epoch1_float32.npz'), { imageSize: [28, 28], dtype: 'float64' });
    expect(f64.params).toBeInstanceOf(Float64Array);
    expect(Array.from(f64.params)).toEqual(Array.from(f32.params));
  });

  it("PyTorch's own shapes, kern (16,1,8,8) and w (10,648), give the same flat parameters as the seed's", async () => {
    const torchShapes = await loadWeights(join(FIXTURES, 'torch_state_shapes_float32.npz'), { imageSize: [28, 28] });
    const seedShapes = await loadWeights(join(FIXTURES, 'torch_seed_float32.npz'), { imageSize: [28, 28] });
    expect(torchShapes.config).toEqual(SEED_28);
    expect(torchShapes.fittingImageSizes).toBeUndefined(); // a flat w only fixes F2*OH2*OW2
    expect(Buffer.from(torchShapes.params.buffer).equals(Buffer.from(seedShapes.params.buffer))).toBe(true);
  });

  it('mixed float32/float64 arrays compute in float64', async () => {
    const path = await variant('mixed', { b: { data: Float32Array.from(seed.b.data as Float64Array), shape: [10] } });
    const w = await loadWeights(path, { imageSize: [28, 28] });
    expect([w.storedDtype, w.dtype]).toEqual(['mixed', 'float64']);
  });

  it.runIf(numpyImportable)('float16 beside float32 (numpy-written) computes in float32: only a float64 array asks for float64', async () => {
    const path = join(dir, 'half.npz');
    const code = 'import sys, numpy as np\nd = dict(np.load(sys.argv[1]))\nd = {k: v.astype(np.float16 if k == "kern" else np.float32) for k, v in d.items()}\nnp.savez(sys.argv[2], **d)';
    const r = spawnSync(PYTHON, ['-c', code, GOLDEN, path], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const w = await loadWeights(path, { imageSize: [28, 28] });
    expect([w.storedDtype, w.dtype]).toEqual(['mixed', 'float32']);
  });

  it('arrays beyond the weights (images, gradients) are ignored', async () => {
    const path = await variant('extra', { images: { data: new Uint8Array(784), shape: [1, 28, 28] } });
    expect((await loadWeights(path, { imageSize: [28, 28] })).config).toEqual(SEED_28);
  });
});

describe('loadWeights reads train --save files (configuration arrays)', () => {
  const config: ModelConfig = {
    conv1: { filters: 6, kernelHeight: 7, kernelWidth: 5, stride: 1 },
    conv2: { filters: 4, kernelHeight: 3, kernelWidth: 3, stride: 3 },
    imageHeight: 20,
    imageWidth: 24,
    classes: 3,
  };
  let saved: string;
  let expected: Float32Array;

  beforeAll(async () => {
    const layout = parameterLayout(deriveDims(config));
    expected = Float32Array.from({ length: layout.total }, (_, i) => Math.sin(i));
    saved = join(dir, 'saved.npz');
    await saveWeights(saved, expected, layout, { kind: 'seed', config });
  });

  it('takes the configuration from the arrays, strides included, and round-trips the parameters', async () => {
    const w = await loadWeights(saved);
    expect(w.configSource).toBe('config arrays');
    expect(w.config).toEqual(config);
    expect(w.imageSize).toEqual([20, 24]);
    expect(Array.from(w.params)).toEqual(Array.from(expected));
  });

  it('a stride flag that agrees is accepted; one that contradicts the file is refused', async () => {
    expect((await loadWeights(saved, { stride2: 3 })).config.conv2.stride).toBe(3);
    expect(await refusal(loadWeights(saved, { stride2: 2 }))).toBe(
      `${saved}: stride2 2 contradicts the file's array 'conv2' (stride 3); the file's configuration decides, so leave stride2 out`,
    );
  });

  it('images of another size are refused naming both sizes', async () => {
    expect(await refusal(loadWeights(saved, { imageSize: [28, 28], imagesName: 'the test images of x.npz' }))).toBe(
      `${saved}: the weights are for 20x24 images (array 'image_shape') but the test images of x.npz are 28x28`,
    );
  });
});

describe('loadWeights refuses bad weights files in one line naming the file and the array', () => {
  const f64 = (values: number[], shape: number[]): NpzWriteArray => ({ data: Float64Array.from(values), shape });
  const zeros = (shape: number[]): NpzWriteArray => ({ data: new Float64Array(shape.reduce((a, b) => a * b, 1)), shape });
  const ints = (values: number[], shape: number[]): NpzWriteArray => ({ data: Int32Array.from(values), shape });
  const config = { image_shape: ints([28, 28], [2]), classes: ints([10], []), conv1: ints([16, 8, 8, 1], [4]), conv2: ints([8, 4, 4, 2], [4]) };
  // Thunks: the golden arrays are read in beforeAll, after the cases are collected.
  const cases: [string, () => Record<string, NpzWriteArray | undefined>, RegExp][] = [
    ['missing arrays', () => ({ kb2: undefined, w: undefined }), /: no array 'kb2', 'w'; weights need kern, kb, kern2, kb2, w, b, or a layer stack's tensors \(0\.weight, \.\.\.\) and 'architecture' \(arrays found: kern, kb, kern2, b\)$/],
    ['integer weights', () => ({ kern: { data: new Int32Array(1024), shape: [16, 8, 8] } }), /: array 'kern' has dtype int32; weights must be float16, float32 or float64$/],
    ['a NaN', () => ({ w: copyOf('w', (d) => (d[1 * 81 + 2 * 9 + 2] = NaN)) }), /: array 'w' holds NaN at \(0, 1, 2, 2\)$/],
    ['an infinity', () => ({ kb: copyOf('kb', (d) => (d[3] = -Infinity)) }), /: array 'kb' holds -Infinity at \(3,\)$/],
    ['kern of rank 2', () => ({ kern: zeros([16, 64]) }), /: array 'kern' has shape \(16, 64\); expected \(filters, kernel_h, kernel_w\)/],
    ['kb of the wrong length', () => ({ kb: zeros([15]) }), /: array 'kb' has shape \(15,\) but kern has 16 filters, so kb must be \(16,\)$/],
    ['kern2 with the wrong input channels', () => ({ kern2: zeros([8, 15, 4, 4]) }), /: array 'kern2' has shape \(8, 15, 4, 4\): its second dimension must be kern's 16 filters$/],
    ['kb2 of the wrong length', () => ({ kb2: zeros([7]) }), /: array 'kb2' has shape \(7,\) but kern2 has 8 filters/],
    ['w with other classes than b', () => ({ w: zeros([9, 8, 9, 9]) }), /: array 'w' has shape \(9, 8, 9, 9\) but b has 10 classes/],
    ['w with other filters than kern2', () => ({ w: zeros([10, 7, 9, 9]) }), /: array 'w' has shape \(10, 7, 9, 9\): its second dimension must be kern2's 8 filters$/],
    ['one class', () => ({ b: zeros([1]), w: zeros([1, 8, 9, 9]) }), /: array 'b' has shape \(1,\): a classifier needs at least 2 classes$/],
    ['an empty array', () => ({ kb: zeros([0]) }), /: array 'kb' has shape \(0,\): it is empty$/],
    ['some configuration arrays only', () => ({ conv1: config.conv1 }), /: has configuration array\(s\) conv1 but not image_shape, classes, conv2 \(train --save writes all four\)$/],
    ['float configuration arrays', () => ({ ...config, conv2: f64([8, 4, 4, 2], [4]) }), /: array 'conv2' has dtype f8; expected integers of shape \(4,\)/],
    ['configuration disagreeing with kern', () => ({ ...config, conv1: ints([16, 5, 5, 1], [4]) }), /: array 'conv1' says 16 filters of 5x5 but array 'kern' holds 16 filters of 8x8$/],
    ['configuration disagreeing with b', () => ({ ...config, classes: ints([9], []) }), /: array 'classes' says 9 but array 'b' has 10 classes$/],
    ['image_shape that does not give w', () => ({ ...config, image_shape: ints([32, 32], [2]) }), /: array 'w' has shape \(10, 8, 9, 9\), but its array 'image_shape' \(32x32\) with strides 1 and 2 give conv1 output 25x25 and conv2 output 11x11, so w must be \(10, 8, 11, 11\)$/],
  ];
  for (const [what, changes, message] of cases) {
    it(what, async () => {
      const path = await variant(what.replace(/\W+/g, '_'), changes());
      const text = await refusal(loadWeights(path, { imageSize: [28, 28] }));
      expect(text.startsWith(`${path}: `), text).toBe(true);
      expect(text).toMatch(message);
    });
  }

  it('float64 values beyond float32 are refused when computing in float32', async () => {
    const path = await variant('overflow', { b: f64([0, 0, 0, 0, 0, 0, 0, 0, 0, 1e300], [10]) });
    expect(await refusal(loadWeights(path, { imageSize: [28, 28], dtype: 'float32' }))).toMatch(/: array 'b' holds Infinity at \(9,\) after rounding to float32 \(compute with dtype float64\)$/);
  });

  it('a file that is not an .npz, and an .npz without weights', async () => {
    const text = join(dir, 'weights.txt');
    writeFileSync(text, 'not weights');
    expect(await refusal(loadWeights(text))).toBe(`${text}: not a zip archive, so not an .npz file`);
    const none = join(dir, 'none.npz');
    await writeNpz(none, {});
    expect(await refusal(loadWeights(none))).toMatch(/none\.npz: holds no arrays; weights are an \.npz of kern, kb, kern2, kb2, w, b/);
    expect(await refusal(loadWeights(join(dir, 'missing.npz')))).toMatch(/missing\.npz: no such file$/);
  });
});
