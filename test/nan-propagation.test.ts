// A NaN reaches the logits through every layer, as in PyTorch (torch.relu(nan) is nan) and numpy
// (np.maximum(0, nan) is nan): a ReLU that made it 0 would hide a diverged run behind a finite loss.
import { describe, expect, it } from 'vitest';
import { createWasmBackend, allocFloat32, WasmNetwork, WasmStackNetwork } from '../src/kernels/wasm/index.js';
import { deriveDims, SEED_MODEL } from '../src/model/config.js';
import { Network } from '../src/model/network.js';
import { completeSpec, deriveStackDims, parseDescription, sequentialLayout, StackNetwork } from '../src/model/stack/index.js';

const STACKS = ['opacus-mnist', 'lenet5', 'conv4k3,relu,conv20k3s2,relu,maxpool2,flatten,dense', 'relu,flatten,dense'];

function imageWithNaN(): { pixels: Float32Array; divisor: number } {
  const pixels = Float32Array.from({ length: 28 * 28 }, (_, i) => ((i * 37) % 11 < 3 ? (i % 7) / 7 : 0));
  pixels[14 * 28 + 14] = NaN;
  return { pixels, divisor: 1 };
}

describe('a NaN in the input gives NaN logits', () => {
  for (const simd of ['simd', 'relaxed-simd'] as const) {
    it(`the reference and the wasm kernels (${simd} build), on stacks and the seed network`, async () => {
      const backend = await createWasmBackend(simd === 'simd' ? { simd } : {});
      const images = imageWithNaN();
      const logitsOf = (kernels: { prepare(p: Float32Array): void; sampleLogits(p: Float32Array, i: typeof images, n: number, out: Float32Array): void }, params: Float32Array) => {
        const out = new Float32Array(10);
        kernels.prepare(params);
        kernels.sampleLogits(params, images, 0, out);
        return Array.from(out);
      };
      const filled = (n: number) => {
        const params = allocFloat32(backend.memory, n);
        for (let i = 0; i < n; i++) params[i] = Math.sin(i + 1) * 0.2;
        return params;
      };
      for (const text of STACKS) {
        const dims = deriveStackDims(completeSpec(parseDescription(text), { input: [1, 28, 28], classes: 10 }));
        const params = filled(sequentialLayout(dims).total);
        expect(logitsOf(new StackNetwork(dims, 'float32'), params).every(Number.isNaN), text).toBe(true);
        for (const plain of [false, true]) expect(logitsOf(WasmStackNetwork.create(backend, dims, { plain }), params).every(Number.isNaN), text).toBe(true);
      }
      const seed = deriveDims({ ...SEED_MODEL, imageHeight: 28, imageWidth: 28, classes: 10 });
      const params = filled(9586);
      expect(logitsOf(new Network(seed, 'float32'), params).every(Number.isNaN)).toBe(true);
      expect(logitsOf(WasmNetwork.create(backend, seed), params).every(Number.isNaN)).toBe(true);
    });
  }
});
