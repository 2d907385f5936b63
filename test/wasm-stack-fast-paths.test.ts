import { beforeAll, describe, expect, it } from 'vitest';
import { loadEmbeddedMnist } from '../src/data/embedded-mnist.js';
import { allocFloat32, createWasmBackend, type WasmBackend, type WasmSimd, WasmStackNetwork } from '../src/kernels/wasm/index.js';
import { completeSpec, deriveStackDims, initStackParameters, parseDescription, PRESET_NAMES, PRESETS, sequentialLayout } from '../src/model/stack/index.js';
import type { ImageSource } from '../src/kernels/sample-kernels.js';
import { lcg } from './helpers/random-model.js';
import { testNormals } from './helpers/random-stack.js';
import { relativeError } from './helpers/relative-error.js';

// Each fast version of the stack kernels (assembly/stack-conv.ts lists the convolution's; 2x2
// pools and tanh have one each) against the plain versions, on the shapes that really run: the presets on real MNIST digits, and on the same
// digits with every pixel made nonzero (dense data, as Fashion-MNIST's half-nonzero images push
// the scatter versions towards). The fast versions skip only exact zeros, whose terms are +-0, but
// sum in another order (the scatter versions by input, the list backward's input gradient by
// filter), so they agree to float32 reassociation; the register-blocked forward and the list
// backward's weight gradient add the same terms in the same order as the plain ones, and the 2x2
// pool makes the same comparisons; tanh's fast version is within 2 ulp of the plain one.
const TOLERANCE = 1e-5;
const SAMPLES = 24;

const mnist = loadEmbeddedMnist();
const digits = mnist.train;
const denseDigits: ImageSource = { pixels: (digits.pixels as Uint8Array).subarray(0, SAMPLES * 784).map((v) => Math.max(v, 1 + (v % 7))), divisor: 255 };

/**
 * The presets, and shapes of the few-channel versions the presets lack: a kernel of odd width with
 * unequal strides and padding, two blocks of 16 filters, and an odd number of output columns.
 */
const CASES: [string, string][] = [
  ...PRESET_NAMES.map((name): [string, string] => [name, PRESETS[name]]),
  ['odd window', 'conv16k5x3s2x1p2x1,relu,flatten,dense'],
  ['two filter blocks', 'conv32k3p1,tanh,maxpool2,flatten,dense'],
  ['odd output columns', 'conv16k3s2,relu,flatten,dense'],
];

describe.each(['simd', 'relaxed-simd-fma'] as WasmSimd[])('stack kernels %s: fast versions = plain versions', (variant) => {
  let backend: WasmBackend | undefined;
  beforeAll(async () => {
    const b = await createWasmBackend({ simd: variant === 'simd' ? 'simd' : 'auto' });
    backend = b.simd === variant ? b : undefined;
  });
  for (const [preset, description] of CASES) {
    for (const [dataName, images] of [['digits', digits], ['dense digits', denseDigits]] as [string, ImageSource][]) {
      it(`${preset} (${description}) on ${SAMPLES} ${dataName}`, (ctx) => {
        if (!backend) return ctx.skip();
        const dims = deriveStackDims(completeSpec(parseDescription(description), { input: [1, 28, 28], classes: 10 }));
        const layout = sequentialLayout(dims);
        const params = allocFloat32(backend.memory, layout.total);
        initStackParameters(params, layout, dims, testNormals(3));
        const rand = lcg(4);
        for (const t of layout.tensors) if (t.role === 'bias') for (let i = 0; i < t.length; i++) params[t.offset + i] = (rand() * 2 - 1) * 0.1;
        const fast = WasmStackNetwork.create(backend, dims);
        const plain = WasmStackNetwork.create(backend, dims, { plain: true });
        fast.prepare(params);
        plain.prepare(params);
        const [g1, g2] = [allocFloat32(backend.memory, layout.total), allocFloat32(backend.memory, layout.total)];
        const [l1, l2] = [new Float32Array(10), new Float32Array(10)];
        const worst: Record<string, number> = {};
        const bitwise: Record<string, boolean> = {};
        const note = (key: string, a: Float32Array, b: Float32Array) => {
          worst[key] = Math.max(worst[key] ?? 0, relativeError(a, b));
          bitwise[key] = (bitwise[key] ?? true) && a.every((v, i) => v === b[i]);
        };
        for (let i = 0; i < SAMPLES; i++) {
          const label = digits.labels[i];
          fast.sampleGradient(params, images, i, label, g1);
          plain.sampleGradient(params, images, i, label, g2);
          for (const t of layout.tensors) note(t.name, g1.subarray(t.offset, t.offset + t.length), g2.subarray(t.offset, t.offset + t.length));
          fast.sampleLogits(params, images, i, l1);
          plain.sampleLogits(params, images, i, l2);
          note('logits', l1, l2);
        }
        console.log(variant, preset, dataName, Object.fromEntries(Object.entries(worst).map(([k, e]) => [k, bitwise[k] ? 'bitwise' : e.toExponential(1)])));
        for (const [key, e] of Object.entries(worst)) expect(e, key).toBeLessThan(TOLERANCE);
      });
    }
  }
});
