import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEmbeddedMnist } from '../src/data/embedded-mnist.js';
import type { ImageSource } from '../src/kernels/sample-kernels.js';
import { deriveDims, SEED_MODEL } from '../src/model/config.js';
import { allocFloat32, createWasmBackend, type WasmBackend, type WasmSimd, WasmNetwork } from '../src/kernels/wasm/index.js';
import type { KernelExports } from '../src/kernels/wasm/kernel-exports.js';
import { CONFIG_FIELDS, type ConfigField } from '../src/kernels/wasm/network-layout.js';
import { WebAssemblyApi } from '../src/kernels/wasm/wasm-api.js';
import { makeModel } from './helpers/random-model.js';
import { relativeError } from './helpers/relative-error.js';

// Each fast version of the conv kernels against the plain one, on the seed's own shape, where the
// dispatch runs the fast ones: dist/wasm/kernel-versions-*.wasm (assembly/kernel-versions.ts)
// exports every version alone. Versions that add the same terms in the same order (they only skip,
// or add, exact +-0 terms) must agree bitwise; those that reorder a sum agree to float32
// reassociation: 1e-5 of the tensor's largest magnitude (sums of up to 256 terms, each rounding
// adding 2^-24 of a partial sum; observed worst 6e-7). An indexing error shows as O(1).
const REASSOCIATION = 1e-5;

/** Index of the first float whose bits differ (+0 and -0 differ), or -1. */
function firstBitDifference(actual: Float32Array, expected: Float32Array): number {
  const a = new Uint32Array(Float32Array.from(actual).buffer);
  const e = new Uint32Array(Float32Array.from(expected).buffer);
  if (a.length !== e.length) return Math.min(a.length, e.length);
  return a.findIndex((bits, i) => bits !== e[i]);
}

function expectBitwise(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(firstBitDifference(actual, expected), `${what}: first float that differs`).toBe(-1);
}

interface KernelVersions extends KernelExports {
  loadInputPlain(cfg: number, kind: number, divisor: number): void;
  loadInputPixelPairs(cfg: number, kind: number, divisor: number): void;
  conv1ForwardPlain(cfg: number): void;
  conv1ForwardPixelPairs(cfg: number): void;
  conv1ForwardWindows(cfg: number): void;
  conv1WindowsPay(cfg: number): number;
  conv1BackwardPlain(cfg: number, slot: number): void;
  conv1BackwardPixelPairs(cfg: number, slot: number): void;
  conv2ForwardPlain(cfg: number): void;
  conv2ForwardColumns(cfg: number): void;
  conv2ForwardScatter(cfg: number): void;
  conv2BackwardPlain(cfg: number, slot: number): void;
  conv2BackwardList16(cfg: number, slot: number): void;
  conv2BackwardPairs(cfg: number, slot: number): void;
}

/** assembly/input.ts PixelKind.U8: net.loadInput staged the MNIST bytes so. */
const PIXELS_U8 = 0;

const VERSION_FILES: Record<WasmSimd, string> = {
  'relaxed-simd-fma': 'kernel-versions-relaxed-simd.wasm',
  simd: 'kernel-versions-simd.wasm',
};

const dims = deriveDims({ ...SEED_MODEL, imageHeight: 28, imageWidth: 28, classes: 10 });
const SAMPLES = 12;

/** Each pixel the largest of its 3x3 neighbourhood, twice: digits about half nonzero, as Fashion-MNIST's images are. */
function thicken(pixels: Uint8Array, count: number): Uint8Array {
  let from = pixels.slice(0, count * 784);
  for (let pass = 0; pass < 2; pass++) {
    const to = new Uint8Array(from.length);
    for (let i = 0; i < count; i++) {
      for (let y = 0; y < 28; y++) {
        for (let x = 0; x < 28; x++) {
          let m = 0;
          for (let dy = -1; dy <= 1; dy++) {
            for (let dx = -1; dx <= 1; dx++) {
              const [yy, xx] = [y + dy, x + dx];
              if (yy >= 0 && yy < 28 && xx >= 0 && xx < 28) m = Math.max(m, from[i * 784 + yy * 28 + xx]);
            }
          }
          to[i * 784 + y * 28 + x] = m;
        }
      }
    }
    from = to;
  }
  return from;
}

/** One network instance on the versions module, with views of its scratch. */
interface Harness {
  net: WasmNetwork;
  k: KernelVersions;
  c: number;
  params: Float32Array;
  images: ImageSource;
  labels: ArrayLike<number>;
  field(name: ConfigField): number;
  /** The in-grid values of a1 or da1, (OH1,OW1,F1P), without the margins. */
  grid(name: 'A1' | 'DA1'): Float32Array;
  a2(): Float32Array;
  slot(): Float32Array;
  tensor(slot: Float32Array, name: string): Float32Array;
}

async function harness(backend: WasmBackend): Promise<Harness> {
  const bytes = await readFile(new URL(`../dist/wasm/${VERSION_FILES[backend.simd]}`, import.meta.url));
  const module = await WebAssemblyApi.compile(bytes);
  const net = WasmNetwork.create({ memory: backend.memory, module }, dims);
  const k = net.kernels as KernelVersions;
  const c = net.configAddress;
  const config = () => new Int32Array(backend.memory.buffer, c, CONFIG_FIELDS.length);
  const field = (name: ConfigField) => config()[CONFIG_FIELDS.indexOf(name)];
  const { params: reference } = makeModel({ ...SEED_MODEL, imageHeight: 28, imageWidth: 28, classes: 10 }, 'float32', 11);
  const params = allocFloat32(backend.memory, net.layout.total);
  params.set(reference);
  net.prepare(params);
  const { test } = loadEmbeddedMnist();
  const grid = (name: 'A1' | 'DA1') => {
    const [OH, OW, FP, RS] = [field('OH1'), field('OW1'), field('F1P'), field('RS1')];
    const all = new Float32Array(backend.memory.buffer);
    const out = new Float32Array(OH * OW * FP);
    for (let y = 0; y < OH; y++) out.set(all.subarray(field(name) / 4 + y * RS * FP, field(name) / 4 + (y * RS + OW) * FP), y * OW * FP);
    return out;
  };
  return {
    net,
    k,
    c,
    params,
    images: { pixels: test.pixels, divisor: test.divisor },
    labels: test.labels,
    field,
    grid,
    a2: () => new Float32Array(backend.memory.buffer, field('A2'), dims.denseIn).slice(),
    slot: () => allocFloat32(backend.memory, net.layout.total),
    tensor: (slot, name) => {
      const t = net.layout.tensors.find((x) => x.name === name)!;
      return slot.subarray(t.offset, t.offset + t.length);
    },
  };
}

const backends = new Map<WasmSimd, WasmBackend>();
beforeAll(async () => {
  backends.set('simd', await createWasmBackend({ simd: 'simd' }));
  const auto = await createWasmBackend();
  if (auto.simd === 'relaxed-simd-fma') backends.set(auto.simd, auto);
});

const SHAPE = 'x=[28,28] conv1=16x8x8 s1 conv2=8x4x4 s2 classes=10';

describe.each(['relaxed-simd-fma', 'simd'] as WasmSimd[])(`wasm fast versions = plain versions on the seed's shape (%s, ${SAMPLES} MNIST test digits)`, (variant) => {
  let h: Harness | undefined;
  beforeAll(async () => {
    const backend = backends.get(variant);
    if (backend) h = await harness(backend);
  });

  it(`${SHAPE}: conv1 forward, pixel pairs and windows = plain rows, bitwise, on digits, thickened and dense digits`, (ctx) => {
    if (!h) return ctx.skip();
    const digits = h.images.pixels as Uint8Array;
    const sets: [string, ImageSource][] = [
      ['digit', h.images],
      ['thickened digit', { pixels: thicken(digits, SAMPLES), divisor: 255 }],
      ['dense digit', { pixels: digits.slice(0, SAMPLES * 784).map((v) => Math.max(v, 1 + (v % 7))), divisor: 255 }],
    ];
    const windowsChosen: Record<string, number> = {};
    for (const [name, images] of sets) {
      windowsChosen[name] = 0;
      for (let i = 0; i < SAMPLES; i++) {
        h.net.loadInput(images, i);
        h.k.loadInputPlain(h.c, PIXELS_U8, images.divisor);
        h.k.conv1ForwardPlain(h.c);
        const plain = h.grid('A1');
        h.k.loadInputPixelPairs(h.c, PIXELS_U8, images.divisor);
        h.k.conv1ForwardPixelPairs(h.c);
        expectBitwise(h.grid('A1'), plain, `pixel pairs' a1 of ${name} ${i}`);
        h.k.conv1ForwardWindows(h.c);
        expectBitwise(h.grid('A1'), plain, `windows' a1 of ${name} ${i}`);
        windowsChosen[name] += h.k.conv1WindowsPay(h.c);
      }
    }
    // The dispatch runs the pixel pairs on sparse digits and the windows on dense images (on the
    // thickened ones, whichever has less to do).
    expect([windowsChosen.digit, windowsChosen['dense digit']]).toEqual([0, SAMPLES]);
  });

  it(`${SHAPE}: conv2 forward, scatter and columns = plain to float32 reassociation (${REASSOCIATION.toExponential()} of the largest value)`, (ctx) => {
    if (!h) return ctx.skip();
    const worst = { scatter: 0, columns: 0 };
    for (let i = 0; i < SAMPLES; i++) {
      h.net.loadInput(h.images, i);
      h.k.conv1Forward(h.c);
      h.k.conv2ForwardPlain(h.c);
      const plain = h.a2();
      h.k.conv2ForwardScatter(h.c);
      worst.scatter = Math.max(worst.scatter, relativeError(h.a2(), plain));
      h.k.conv2ForwardColumns(h.c);
      worst.columns = Math.max(worst.columns, relativeError(h.a2(), plain));
    }
    for (const [version, e] of Object.entries(worst)) expect(e, version).toBeLessThan(REASSOCIATION);
  });

  it(`${SHAPE}: conv2 backward, 16-channel list = plain list bitwise; pairs: kern2 bitwise, kb2 and da1 to float32 reassociation`, (ctx) => {
    if (!h) return ctx.skip();
    const worst = { kb2: 0, da1: 0 };
    for (let i = 0; i < SAMPLES; i++) {
      h.net.loadInput(h.images, i);
      h.k.forward(h.c, h.params.byteOffset);
      h.net.loss(h.labels[i]);
      h.k.denseBackward(h.c, h.params.byteOffset, h.slot().byteOffset);
      const [plain, list16, pairs] = [h.slot(), h.slot(), h.slot()];
      h.k.conv2BackwardPlain(h.c, plain.byteOffset);
      const da1 = h.grid('DA1');
      h.k.conv2BackwardList16(h.c, list16.byteOffset);
      expectBitwise(h.tensor(list16, 'kern2'), h.tensor(plain, 'kern2'), `16-channel list's kern2, digit ${i}`);
      expectBitwise(h.tensor(list16, 'kb2'), h.tensor(plain, 'kb2'), `16-channel list's kb2, digit ${i}`);
      expectBitwise(h.grid('DA1'), da1, `16-channel list's da1, digit ${i}`);
      h.k.conv2BackwardPairs(h.c, pairs.byteOffset);
      expectBitwise(h.tensor(pairs, 'kern2'), h.tensor(plain, 'kern2'), `pairs' kern2, digit ${i}`);
      worst.kb2 = Math.max(worst.kb2, relativeError(h.tensor(pairs, 'kb2'), h.tensor(plain, 'kb2')));
      worst.da1 = Math.max(worst.da1, relativeError(h.grid('DA1'), da1));
    }
    for (const [tensor, e] of Object.entries(worst)) expect(e, `pairs ${tensor}`).toBeLessThan(REASSOCIATION);
  });

  it(`${SHAPE}: conv1 backward, pixel pairs = plain rows, bitwise`, (ctx) => {
    if (!h) return ctx.skip();
    for (let i = 0; i < SAMPLES; i++) {
      h.net.loadInput(h.images, i);
      h.k.forward(h.c, h.params.byteOffset);
      h.net.loss(h.labels[i]);
      const [plain, pairs] = [h.slot(), h.slot()];
      h.k.denseBackward(h.c, h.params.byteOffset, plain.byteOffset);
      h.k.conv2Backward(h.c, plain.byteOffset);
      // The ReLU mask is applied to da1 in place, and applying it twice changes nothing.
      h.k.loadInputPlain(h.c, PIXELS_U8, h.images.divisor);
      h.k.conv1BackwardPlain(h.c, plain.byteOffset);
      h.k.loadInputPixelPairs(h.c, PIXELS_U8, h.images.divisor);
      h.k.conv1BackwardPixelPairs(h.c, pairs.byteOffset);
      expectBitwise(h.tensor(pairs, 'kern'), h.tensor(plain, 'kern'), `kern of digit ${i}`);
      expectBitwise(h.tensor(pairs, 'kb'), h.tensor(plain, 'kb'), `kb of digit ${i}`);
    }
  });
});
