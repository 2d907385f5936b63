import { beforeAll, describe, expect, it } from 'vitest';
import { openNpz } from '../src/data/npz.js';
import type { NpyArray } from '../src/data/npy.js';
import { allocFloat32, createWasmBackend, type WasmBackend, type WasmSimd, WasmStackNetwork } from '../src/kernels/wasm/index.js';
import { completeSpec, deriveStackDims, parseSpecJson } from '../src/model/stack/index.js';
import { readNpzString } from './helpers/npz-string.js';
import { elementwiseRelativeError, relativeError } from './helpers/relative-error.js';

// Computed by PyTorch autograd in float64, outside this project (../shared/golden/README.md,
// general/); test/stack-golden.test.ts holds the TypeScript reference to the same files.
const golden = (name: string) => new URL(`../../shared/golden/general/${name}.npz`, import.meta.url).pathname;

async function readGolden(name: string): Promise<{ arrays: Map<string, NpyArray>; spec: string }> {
  const path = golden(name);
  const archive = await openNpz(path);
  const arrays = new Map<string, NpyArray>();
  for (const key of archive.keys) if (key !== 'spec') arrays.set(key, await archive.read(key));
  return { arrays, spec: await readNpzString(path, 'spec') };
}

/** Worst relative error per key of a wasm network's per-sample logits, losses and gradients. */
async function compare(name: string, backend: WasmBackend, plain: boolean): Promise<Record<string, number>> {
  const { arrays, spec } = await readGolden(name);
  const get = (key: string): NpyArray => {
    const a = arrays.get(key);
    if (!a) throw new Error(`${name} lacks ${key}`);
    return a;
  };
  const images = get('images');
  const [samples, C, H, W] = images.shape;
  const classes = get('logits').shape[1];
  const dims = deriveStackDims(completeSpec(parseSpecJson(spec), { input: [C, H, W], classes }));
  const net = WasmStackNetwork.create(backend, dims, { plain });
  const params = allocFloat32(backend.memory, net.layout.total);
  for (const t of net.layout.tensors) params.set(get(t.name).data as Float64Array, t.offset);
  net.prepare(params);
  const source = { pixels: images.data as Float64Array, divisor: 1 };
  const labels = get('labels').data as BigInt64Array;
  const grad = allocFloat32(backend.memory, net.layout.total);
  const logits = new Float32Array(classes);
  const worst: Record<string, number> = {};
  const note = (key: string, e: number) => (worst[key] = Math.max(worst[key] ?? 0, e));
  for (let i = 0; i < samples; i++) {
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
  return worst;
}

describe.each(['simd', 'relaxed-simd-fma'] as WasmSimd[])('WasmStackNetwork %s = PyTorch autograd (golden/general, 8 samples each)', (variant) => {
  let backend: WasmBackend | undefined;
  beforeAll(async () => {
    const auto = await createWasmBackend({ simd: variant === 'simd' ? 'simd' : 'auto' });
    backend = auto.simd === variant ? auto : undefined;
  });
  for (const name of ['opacus_mnist', 'odd_rgb_tanh']) {
    for (const plain of [false, true]) {
      it(`${name}${plain ? ' (plain versions)' : ''} to 1e-4 relative`, async (ctx) => {
        if (!backend) return ctx.skip();
        const worst = await compare(name, backend, plain);
        console.log(variant, name, plain ? 'plain' : 'fast', Object.fromEntries(Object.entries(worst).map(([k, e]) => [k, e.toExponential(1)])));
        for (const [key, e] of Object.entries(worst)) expect(e, key).toBeLessThan(1e-4);
      });
    }
  }
});
