import { beforeAll, describe, expect, it } from 'vitest';
import type { ImageSource } from '../src/kernels/sample-kernels.js';
import { allocFloat32, createWasmBackend, type WasmBackend, type WasmSimd, WasmStackNetwork } from '../src/kernels/wasm/index.js';
import { PRESETS } from '../src/model/stack/index.js';
import type { ImageShape } from '../src/model/stack/spec.js';
import { lcg } from './helpers/random-model.js';
import { randomStack } from './helpers/random-stack.js';
import { elementwiseRelativeError, relativeError } from './helpers/relative-error.js';
import { gradientOf } from './helpers/slot-gradient.js';

// Tolerance: 2e-5 of each tensor's largest magnitude, as test/wasm-network.test.ts and for the
// same reasons: the reference accumulates each sum in float64 and rounds once, the kernels
// accumulate in float32 (fused or not) in another order. An indexing or masking error shows as O(1).
const TOLERANCE = 2e-5;

const cases: [string, ImageShape, number][] = [
  // The presets on MNIST's shape.
  [PRESETS.seed, [1, 28, 28], 10],
  [PRESETS['opacus-mnist'], [1, 28, 28], 10],
  [PRESETS['opacus-mnist-tanh'], [1, 28, 28], 10],
  [PRESETS.lenet5, [1, 28, 28], 10],
  // The golden odd_rgb_tanh spec: 3 channels, non-square kernel and padding, pools of unequal sides.
  ['conv6k5x3p2x1,tanh,maxpool2,conv8k3s2x1,relu,maxpool3x2s1x2,flatten,dense16,tanh,dense', [3, 20, 24], 5],
  // Strides that do not divide, overlapping pools, padding wider than a stride, channel counts
  // that are not whole vectors, a conv straight after a conv, a pool first, flatten first.
  ['conv5k3x2s2x1p1x0,relu,maxpool3s2,conv7k2x4s1x3p2,tanh,flatten,dense9,relu,dense', [2, 17, 13], 4],
  ['maxpool2,conv4k3,relu,conv6k3s2p1,flatten,dense', [3, 9, 11], 3],
  ['conv17k3s3,relu,maxpool3s1,flatten,dense7,tanh,dense7,dense', [1, 16, 14], 3],
  ['flatten,dense12,relu,dense', [2, 5, 6], 3],
  ['conv8k1,relu,conv3k2x1p0x1,flatten,dense', [5, 6, 7], 2],
  ['conv4k3p1,flatten,flatten,dense', [1, 6, 6], 2],
  ['conv16k8s2p3,relu,maxpool2s1,conv32k4s2,relu,maxpool2s1,flatten,dense32,relu,dense', [1, 20, 17], 3],
  // The register-blocked versions away from opacus-mnist: first layer (no input gradient), padding,
  // channel counts that are not whole blocks of 16.
  ['conv16k3s2,relu,flatten,dense', [16, 7, 8], 3],
  ['conv20k3,relu,conv16k2p1,relu,conv32k3s2,tanh,flatten,dense', [3, 10, 9], 3],
  // Filter counts ending in a block of 8 or 4 lanes (12 = 8 + 4, 20 = 16 + 4).
  ['conv8k3,relu,conv12k3p1,relu,conv20k2s2,flatten,dense', [1, 10, 11], 3],
  // The window versions with several channels, kernels that are not a power of two wide, padding,
  // and two blocks of 16 filters.
  ['conv16k5x3s2x1p2x1,relu,flatten,dense', [3, 12, 10], 3],
  ['conv32k3p1,relu,maxpool2,flatten,dense', [2, 9, 9], 3],
  // Windows behind another layer (the input gradient wanted), and an image too wide for them.
  ['conv4k3,relu,conv16k3p1,relu,flatten,dense', [2, 8, 9], 3],
  ['conv16k3s2,relu,maxpool2,flatten,dense', [1, 40, 66], 3],
  // Strides past the input leave one window: the kernels' i32 sizes must not see 2^31 (overflow)
  // or 2^32 (stored as 0), whether scatter, windows or blocks run.
  ['conv4k3s2147483647x1,relu,flatten,dense', [1, 5, 7], 3],
  ['conv4k3s4294967296x1,relu,maxpool1x2s1x4294967296,flatten,dense', [1, 5, 7], 3],
  ['conv16k3s1x4294967297,relu,conv20k2x1s2147483648,flatten,dense', [2, 6, 70], 3],
];

async function backends(): Promise<WasmBackend[]> {
  const list = [await createWasmBackend({ simd: 'simd' })];
  const auto = await createWasmBackend();
  if (auto.simd === 'relaxed-simd-fma') list.push(auto);
  return list;
}

/** The image sets of test/wasm-network.test.ts: bytes with ~75% zeros (as MNIST), float32, float64, a framed band. */
function imageSets(pixels: Float64Array, [, H, W]: ImageShape): [string, ImageSource][] {
  const rand = lcg(5);
  const bytes = Uint8Array.from({ length: pixels.length }, () => (rand() < 0.75 ? 0 : Math.floor(rand() * 256)));
  const framed = bytes.map((v, p) => {
    const y = Math.floor(p / W) % H;
    const x = p % W;
    return 3 * y >= H && 3 * y < 2 * H && 3 * x >= W && 3 * x < 2 * W ? v : 0;
  });
  return [
    ['uint8/255', { pixels: bytes, divisor: 255 }],
    ['float32', { pixels: Float32Array.from(pixels), divisor: 1 }],
    ['float64', { pixels, divisor: 1 }],
    ['uint8/255 framed', { pixels: framed, divisor: 255 }],
  ];
}

describe.each(['simd', 'relaxed-simd-fma'] as WasmSimd[])('WasmStackNetwork %s = StackNetwork (float32)', (variant) => {
  let backend: WasmBackend | undefined;
  beforeAll(async () => {
    backend = (await backends()).find((b) => b.simd === variant);
  });
  for (const [description, input, classes] of cases) {
    for (const plain of [false, true]) {
      it(`${description} x=[${input}] classes=${classes}${plain ? ' (plain versions)' : ''}`, (ctx) => {
        if (!backend) return ctx.skip();
        const { dims, net, params: ref, images } = randomStack(description, input, classes, 'float32', 11, 4);
        const sets = imageSets(images.pixels, input);
        const wasm = WasmStackNetwork.create(backend, dims, { plain });
        const params = allocFloat32(backend.memory, ref.length);
        params.set(ref);
        wasm.prepare(params);
        const n = wasm.layout.total;
        const refGrad = new Float32Array(n);
        const grad = allocFloat32(backend.memory, n);
        const worst: Record<string, number> = {};
        const note = (key: string, e: number) => (worst[key] = Math.max(worst[key] ?? 0, e));
        for (let s = 0; s < 16; s++) {
          const [, source] = sets[s % 4];
          const i = s % 4;
          const label = (s * 7) % classes;
          // Dirty slot: sampleGradient must overwrite, not accumulate.
          grad.fill(7);
          const refLoss = net.sampleGradient(ref, source, i, label, refGrad);
          const loss = wasm.sampleGradient(params, source, i, label, grad);
          note('loss', elementwiseRelativeError([loss], [refLoss]));
          const [whole, refWhole] = [gradientOf(wasm, grad), gradientOf(net, refGrad)];
          for (const t of wasm.layout.tensors) {
            note(t.name, relativeError(whole.subarray(t.offset, t.offset + t.length), refWhole.subarray(t.offset, t.offset + t.length)));
          }
          const refLogits = new Float32Array(classes);
          const logits = new Float32Array(classes);
          net.sampleLogits(ref, source, i, refLogits);
          wasm.sampleLogits(params, source, i, logits);
          note('logits', relativeError(logits, refLogits));
        }
        console.log(variant, plain ? 'plain' : 'fast', description, Object.fromEntries(Object.entries(worst).map(([k, e]) => [k, e.toExponential(1)])));
        for (const [key, e] of Object.entries(worst)) expect(e, key).toBeLessThan(TOLERANCE);
      });
    }
  }
});

describe('WasmStackNetwork: each sample a pure function of params, image and label', () => {
  it('bitwise the same gradient whatever ran before it, on another instance, in either order', async () => {
    const backend = await createWasmBackend();
    for (const [description, input, classes] of cases) {
      const { dims, params: ref, images } = randomStack(description, input, classes, 'float32', 12, 4);
      const [[, source]] = imageSets(images.pixels, input);
      const params = allocFloat32(backend.memory, ref.length);
      params.set(ref);
      const one = WasmStackNetwork.create(backend, dims);
      const two = WasmStackNetwork.create(backend, dims);
      one.prepare(params);
      two.prepare(params);
      const n = one.layout.total;
      const [a, b, c] = [allocFloat32(backend.memory, n), allocFloat32(backend.memory, n), allocFloat32(backend.memory, n)];
      const lossA = one.sampleGradient(params, source, 0, 1, a);
      one.sampleGradient(params, images, 3, 0, c);
      one.sampleGradient(params, source, 2, 1, c);
      const lossB = one.sampleGradient(params, source, 0, 1, b);
      expect(lossB, description).toBe(lossA);
      expect(Buffer.from(b.buffer, b.byteOffset, b.byteLength).equals(Buffer.from(a.buffer, a.byteOffset, a.byteLength)), description).toBe(true);
      expect(two.sampleGradient(params, source, 0, 1, c), description).toBe(lossA);
      expect(Buffer.from(c.buffer, c.byteOffset, c.byteLength).equals(Buffer.from(a.buffer, a.byteOffset, a.byteLength)), description).toBe(true);
    }
  });
});
