import { describe, expect, it } from 'vitest';
import { openNpz } from '../src/data/npz.js';
import type { NpyArray } from '../src/data/npy.js';
import { allocFloat, type Dtype } from '../src/model/float-array.js';
import { completeSpec, deriveStackDims, parseSpecJson, StackNetwork } from '../src/model/stack/index.js';
import { readNpzString } from './helpers/npz-string.js';
import { elementwiseRelativeError, relativeError } from './helpers/relative-error.js';

// Computed by PyTorch autograd in float64, outside this project (../shared/golden/README.md, general/).
const golden = (name: string) => new URL(`../../shared/golden/general/${name}.npz`, import.meta.url).pathname;

/** Per-sample logits, losses and gradients of a golden network, worst relative error per key. */
async function compare(name: string, dtype: Dtype): Promise<Record<string, number>> {
  const path = golden(name);
  const arrays = await readNpzGolden(path);
  const get = (key: string): NpyArray => {
    const a = arrays.get(key);
    if (!a) throw new Error(`${name} lacks ${key}`);
    return a;
  };
  const list = parseSpecJson(await readNpzString(path, 'spec'));
  const images = get('images');
  const [samples, C, H, W] = images.shape;
  const classes = get('logits').shape[1];
  const dims = deriveStackDims(completeSpec(list, { input: [C, H, W], classes }));
  const net = new StackNetwork(dims, dtype);
  const params = allocFloat(dtype, net.layout.total);
  for (const t of net.layout.tensors) {
    const g = get(t.name);
    expect(g.shape, t.name).toEqual(t.shape);
    params.set(g.data as Float64Array, t.offset);
  }
  expect(new Set(arrays.keys())).toEqual(new Set(['images', 'labels', 'logits', 'loss', ...net.layout.tensors.flatMap((t) => [t.name, `g.${t.name}`])]));
  const source = { pixels: images.data as Float64Array, divisor: 1 };
  const labels = get('labels').data as BigInt64Array;
  const grad = allocFloat(dtype, net.layout.total);
  const logits = allocFloat(dtype, classes);
  const worst: Record<string, number> = {};
  const note = (key: string, e: number) => (worst[key] = Math.max(worst[key] ?? 0, e));
  for (let i = 0; i < samples; i++) {
    // Dirty slot: sampleGradient must overwrite, not accumulate.
    grad.fill(7);
    const loss = net.sampleGradient(params, source, i, Number(labels[i]), grad);
    note('loss', elementwiseRelativeError([loss], [(get('loss').data as Float64Array)[i]]));
    net.sampleLogits(params, source, i, logits);
    note('logits', relativeError(logits, (get('logits').data as Float64Array).subarray(i * classes, (i + 1) * classes)));
    for (const t of net.layout.tensors) {
      const expected = (get(`g.${t.name}`).data as Float64Array).subarray(i * t.length, (i + 1) * t.length);
      note(`g.${t.name}`, relativeError(grad.subarray(t.offset, t.offset + t.length), expected));
    }
  }
  console.log(`${name} ${dtype} worst relative error per key:`, Object.fromEntries(Object.entries(worst).map(([k, e]) => [k, e.toExponential(1)])));
  return worst;
}

/** Every numeric array of a golden file (its `spec` string is read apart). */
async function readNpzGolden(path: string): Promise<Map<string, NpyArray>> {
  const archive = await openNpz(path);
  const arrays = new Map<string, NpyArray>();
  for (const key of archive.keys) if (key !== 'spec') arrays.set(key, await archive.read(key));
  return arrays;
}

for (const name of ['opacus_mnist', 'odd_rgb_tanh']) {
  describe(`stack per-sample gradients = PyTorch autograd (golden/general/${name}.npz, 8 samples)`, () => {
    it('float64 to 1e-9 relative', async () => {
      const worst = await compare(name, 'float64');
      for (const [key, e] of Object.entries(worst)) expect(e, key).toBeLessThan(1e-9);
    });
    it('float32 to 1e-4 relative', async () => {
      const worst = await compare(name, 'float32');
      for (const [key, e] of Object.entries(worst)) expect(e, key).toBeLessThan(1e-4);
    });
  });
}
