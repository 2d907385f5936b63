import { beforeAll, describe, expect, it } from 'vitest';
import { SEED_MODEL, type ModelConfig } from '../src/model/config.js';
import type { ImageSource } from '../src/kernels/sample-kernels.js';
import { allocFloat32, createWasmBackend, type WasmBackend, type WasmSimd, WasmNetwork } from '../src/kernels/wasm/index.js';
import { caseName, lcg, makeModel } from './helpers/random-model.js';
import { elementwiseRelativeError, relativeError } from './helpers/relative-error.js';

// Tolerance: 2e-5 of each tensor's largest magnitude. The reference accumulates every sum in
// float64 and rounds once (it is within 2.5e-7 of the float64 network on the seed shape); the
// kernels accumulate in float32, fused or not, in another order, so each of a sum's up to ~1,000
// terms adds a rounding of 2^-24 of the partial sum, and the error grows through the layers:
// observed worst 6e-6 (the seed shape's kb and kern2). An indexing or masking error shows as O(1).
const TOLERANCE = 2e-5;

const conv = (filters: number, kh: number, kw: number, stride: number) => ({ filters, kernelHeight: kh, kernelWidth: kw, stride });

const cases: ModelConfig[] = [
  { ...SEED_MODEL, imageHeight: 28, imageWidth: 28, classes: 10 },
  // Non-square image, odd sizes, filter counts that are not whole vectors, conv2 stride with a remainder.
  { imageHeight: 11, imageWidth: 8, classes: 3, conv1: conv(3, 3, 2, 1), conv2: conv(2, 3, 2, 2) },
  { imageHeight: 13, imageWidth: 10, classes: 4, conv1: conv(2, 2, 3, 2), conv2: conv(3, 2, 3, 1) },
  { imageHeight: 9, imageWidth: 12, classes: 2, conv1: conv(5, 3, 3, 1), conv2: conv(6, 2, 2, 3) },
  { imageHeight: 7, imageWidth: 15, classes: 5, conv1: conv(2, 4, 6, 1), conv2: conv(2, 2, 3, 2) },
  // Whole vectors but not the seed's: the 16-channel fast paths with other kernels and strides.
  { imageHeight: 20, imageWidth: 17, classes: 7, conv1: conv(16, 5, 4, 2), conv2: conv(8, 3, 3, 1) },
  { imageHeight: 16, imageWidth: 19, classes: 10, conv1: conv(16, 3, 5, 1), conv2: conv(12, 2, 4, 2) },
  { imageHeight: 12, imageWidth: 12, classes: 3, conv1: conv(8, 3, 3, 1), conv2: conv(4, 3, 3, 1) },
  // conv2 kernels two strides wide, as the seed's: the paired backward with strides 1 and 3.
  { imageHeight: 10, imageWidth: 9, classes: 4, conv1: conv(16, 3, 3, 1), conv2: conv(5, 3, 2, 1) },
  { imageHeight: 14, imageWidth: 20, classes: 3, conv1: conv(16, 2, 4, 1), conv2: conv(4, 2, 6, 3) },
  // The seed's conv2 (4x4, stride 2, 16 channels in, 8 lanes out): its scatter forward on other
  // grids, with padded lanes, conv1 stride 2, and one output row.
  { imageHeight: 13, imageWidth: 22, classes: 3, conv1: conv(13, 3, 5, 1), conv2: conv(7, 4, 4, 2) },
  { imageHeight: 25, imageWidth: 19, classes: 4, conv1: conv(16, 3, 3, 2), conv2: conv(6, 4, 4, 2) },
  { imageHeight: 6, imageWidth: 11, classes: 2, conv1: conv(16, 2, 3, 1), conv2: conv(8, 4, 4, 2) },
  // The paired backward with one output column (its pair list is only the row's two ends).
  { imageHeight: 10, imageWidth: 7, classes: 3, conv1: conv(16, 3, 3, 1), conv2: conv(3, 4, 4, 2) },
  // Pixel pairs on rows wider than 63 pixels, whose nonzero pixels do not fit one u64 of bits:
  // loadInput lists them pixel by pixel, and conv1 has no window version.
  { imageHeight: 6, imageWidth: 67, classes: 3, conv1: conv(16, 3, 4, 1), conv2: conv(4, 2, 4, 2) },
];

async function backends(): Promise<WasmBackend[]> {
  const list = [await createWasmBackend({ simd: 'simd' })];
  const auto = await createWasmBackend();
  if (auto.simd === 'relaxed-simd-fma') list.push(auto);
  return list;
}

describe.each(['simd', 'relaxed-simd-fma'] as WasmSimd[])('wasm %s = TypeScript Network (float32)', (variant) => {
  let backend: WasmBackend | undefined;
  beforeAll(async () => {
    backend = (await backends()).find((b) => b.simd === variant);
  });
  for (const config of cases) {
    it(caseName(config), (ctx) => {
      if (!backend) return ctx.skip();
      const { dims, net, params: ref, images: float64Images } = makeModel(config, 'float32', 11);
      const pixelCount = float64Images.pixels.length;
      // Bytes with ~75% exact zeros, as MNIST has: the sparse paths then skip something.
      const rand = lcg(5);
      const bytes = Uint8Array.from({ length: pixelCount }, () => (rand() < 0.75 ? 0 : Math.floor(rand() * 256)));
      // And only a middle band nonzero, as MNIST's digit in its empty margin: whole conv windows of
      // exact zeros, which conv2's scatter forward replaces by precomputed background sums.
      const { imageHeight: H, imageWidth: W } = config;
      const framed = bytes.map((v, p) => {
        const y = Math.floor(p / W) % H;
        const x = p % W;
        return 3 * y >= H && 3 * y < 2 * H && 3 * x >= W && 3 * x < 2 * W ? v : 0;
      });
      const imageSets: [string, ImageSource][] = [
        ['uint8/255', { pixels: bytes, divisor: 255 }],
        ['float32', { pixels: Float32Array.from(float64Images.pixels), divisor: 1 }],
        ['float64', float64Images],
        ['uint8/255 framed', { pixels: framed, divisor: 255 }],
      ];
      const wasm = WasmNetwork.create(backend, dims);
      const params = allocFloat32(backend.memory, ref.length);
      params.set(ref);
      wasm.prepare(params);
      const n = wasm.layout.total;
      const refGrad = new Float32Array(n);
      const grad = allocFloat32(backend.memory, n);
      const worst: Record<string, number> = {};
      for (let s = 0; s < 16; s++) {
        const [, images] = imageSets[s % 4];
        const i = s % 4;
        const label = (s * 7) % dims.classes;
        const refLoss = net.sampleGradient(ref, images, i, label, refGrad);
        const loss = wasm.sampleGradient(params, images, i, label, grad);
        worst.loss = Math.max(worst.loss ?? 0, elementwiseRelativeError([loss], [refLoss]));
        for (const t of wasm.layout.tensors) {
          const e = relativeError(grad.subarray(t.offset, t.offset + t.length), refGrad.subarray(t.offset, t.offset + t.length));
          worst[t.name] = Math.max(worst[t.name] ?? 0, e);
        }
        const refLogits = new Float32Array(dims.classes);
        const logits = new Float32Array(dims.classes);
        net.sampleLogits(ref, images, i, refLogits);
        wasm.sampleLogits(params, images, i, logits);
        worst.logits = Math.max(worst.logits ?? 0, relativeError(logits, refLogits));
      }
      console.log(variant, caseName(config), Object.fromEntries(Object.entries(worst).map(([k, e]) => [k, e.toExponential(1)])));
      for (const [key, e] of Object.entries(worst)) expect(e, key).toBeLessThan(TOLERANCE);
    });
  }
});
