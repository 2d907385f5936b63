import { beforeAll, describe, expect, it } from 'vitest';
import { readNpz } from '../src/data/npz.js';
import { elementwiseRelativeError, relativeError } from './helpers/relative-error.js';
import { allocFloat32, createWasmBackend, type WasmBackend, type WasmSimd, WasmNetwork, WasmSlotSum } from '../src/kernels/wasm/index.js';
import { SEED_MODEL, deriveDims } from '../src/model/config.js';
import { gradientOf } from './helpers/slot-gradient.js';

// Computed by PyTorch autograd in float64, outside this project (../shared/golden/README.md).
const GOLDEN = new URL('../../shared/golden/per_sample_grads.npz', import.meta.url).pathname;


const backends = new Map<WasmSimd, WasmBackend>();
beforeAll(async () => {
  backends.set('simd', await createWasmBackend({ simd: 'simd' }));
  const auto = await createWasmBackend();
  if (auto.simd === 'relaxed-simd-fma') backends.set(auto.simd, auto);
});

describe('wasm per-sample gradients = PyTorch autograd (golden/per_sample_grads.npz, seed model, 8 test images)', () => {
  for (const variant of ['relaxed-simd-fma', 'simd'] as WasmSimd[]) {
    it(`x=[28,28] conv1=16x8x8 s1 conv2=8x4x4 s2 classes=10, ${variant}, to 1e-4 relative`, async (ctx) => {
      const backend = backends.get(variant);
      if (!backend) return ctx.skip();
      const golden = await readNpz(GOLDEN);
      const get = (key: string) => {
        const a = golden.get(key);
        if (!a) throw new Error(`golden file lacks ${key}`);
        return a.data as Float64Array;
      };
      const dims = deriveDims({ ...SEED_MODEL, imageHeight: 28, imageWidth: 28, classes: 10 });
      const net = WasmNetwork.create(backend, dims);
      const n = net.layout.total;
      const params = allocFloat32(backend.memory, n);
      for (const t of net.layout.tensors) params.set(get(t.name), t.offset);
      net.prepare(params);
      const images = { pixels: golden.get('images')!.data as Uint8Array, divisor: 255 };
      const labels = golden.get('labels')!.data as BigInt64Array;
      const samples = labels.length;
      const L = net.slots.length;
      const slots = allocFloat32(backend.memory, samples * L);
      const logits = new Float32Array(10);
      const worst: Record<string, number> = {};
      const note = (key: string, e: number) => (worst[key] = Math.max(worst[key] ?? 0, e));
      for (let i = 0; i < samples; i++) {
        const slot = slots.subarray(i * L, (i + 1) * L);
        const loss = net.sampleGradient(params, images, i, Number(labels[i]), slot);
        const grad = gradientOf(net, slot);
        note('loss', elementwiseRelativeError([loss], [get('loss')[i]]));
        net.sampleLogits(params, images, i, logits);
        note('logits', relativeError(logits, get('logits').subarray(i * 10, (i + 1) * 10)));
        for (const t of net.layout.tensors) {
          note(`g_${t.name}`, relativeError(grad.subarray(t.offset, t.offset + t.length), get(`g_${t.name}`).subarray(i * t.length, (i + 1) * t.length)));
        }
      }
      const mean = allocFloat32(backend.memory, n);
      const slotSum = new WasmSlotSum(backend, slots, net.slots);
      slotSum.add(0, samples);
      slotSum.finish(mean, samples);
      for (const t of net.layout.tensors) note(`gmean_${t.name}`, relativeError(mean.subarray(t.offset, t.offset + t.length), get(`gmean_${t.name}`)));
      console.log(`${variant} worst relative error per key:`, Object.fromEntries(Object.entries(worst).map(([k, e]) => [k, e.toExponential(1)])));
      for (const [key, e] of Object.entries(worst)) expect(e, key).toBeLessThan(1e-4);
    });
  }
});
