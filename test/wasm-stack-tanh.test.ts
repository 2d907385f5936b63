import { describe, expect, it } from 'vitest';
import { createWasmBackend, type WasmSimd, WasmStackNetwork } from '../src/kernels/wasm/index.js';
import { LAYER_FIELDS } from '../src/kernels/wasm/stack-layout.js';
import { completeSpec, deriveStackDims, parseDescription } from '../src/model/stack/index.js';

// The stack's tanh layer on many float32 values, against V8's Math.tanh rounded once to float32
// (the reference's tanh): the fast version (assembly/stack-tanh.ts, float32 arithmetic) within
// 2 ulp, the plain one (AssemblyScript's f64 Math.tanh, rounded) equal on every value here.
const COUNT = 1 << 16;

/** Every (2^31 / COUNT)th positive float32 below +Infinity, their negatives, and the special values. */
function values(): Float32Array {
  const bits = new Uint32Array(2 * COUNT + 8);
  const step = Math.floor(0x7f800000 / COUNT);
  for (let i = 0; i < COUNT; i++) {
    bits[2 * i] = i * step + (i % 7);
    bits[2 * i + 1] = (bits[2 * i] | 0x80000000) >>> 0;
  }
  const specials = new Float32Array(bits.buffer, 2 * COUNT * 4, 8);
  specials.set([0, -0, Infinity, -Infinity, NaN, 9.02, -9.02, 0.625]);
  return new Float32Array(bits.buffer);
}

const ulps = (a: number, b: number): number => {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  const i = new Int32Array(new Float32Array([a, b]).buffer);
  const order = (x: number) => (x < 0 ? -(x & 0x7fffffff) : x);
  return Math.abs(order(i[0]) - order(i[1]));
};

describe.each(['simd', 'relaxed-simd-fma'] as WasmSimd[])('stack tanh %s', (variant) => {
  for (const [plain, limit] of [[false, 2], [true, 0]] as const) {
    it(`${plain ? 'plain' : 'fast'} version within ${limit} ulp of Math.tanh rounded to float32, signs of zero kept`, async (ctx) => {
      const backend = await createWasmBackend({ simd: variant === 'simd' ? 'simd' : 'auto' });
      if (backend.simd !== variant) return ctx.skip();
      const x = values();
      const dims = deriveStackDims(completeSpec(parseDescription('flatten,tanh,dense'), { input: [1, 1, x.length], classes: 2 }));
      const net = WasmStackNetwork.create(backend, dims, { plain });
      const record = net.scratch.layerRecords[1];
      const words = new Int32Array(backend.memory.buffer, record, LAYER_FIELDS.length);
      const inp = new Float32Array(backend.memory.buffer, words[LAYER_FIELDS.indexOf('IN')], x.length);
      const out = new Float32Array(backend.memory.buffer, words[LAYER_FIELDS.indexOf('OUT')], x.length);
      inp.set(x);
      net.kernels.layerForward(record, 0, plain ? 1 : 0);
      let worst = 0;
      let exact = 0;
      for (let i = 0; i < x.length; i++) {
        const expected = Math.fround(Math.tanh(x[i]));
        const e = ulps(out[i], expected);
        if (e > worst) worst = e;
        if (Object.is(out[i], expected)) exact++;
        if (expected === 0) expect(Object.is(out[i], expected), `tanh(${x[i]})`).toBe(true);
      }
      console.log(variant, plain ? 'plain' : 'fast', `worst ${worst} ulp, ${((100 * exact) / x.length).toFixed(2)}% exact`);
      expect(worst).toBeLessThanOrEqual(limit);
    });
  }
});
