import { describe, expect, it } from 'vitest';
import { createWasmBackend, type WasmSimd } from '../src/kernels/wasm/index.js';
import { drawNoiseChunk, NOISE_CHUNK } from '../src/privacy/gaussian-noise.js';
import { stepStream } from '../src/rng/streams.js';
import { fillNormals } from '../src/rng/ziggurat.js';

/** Where two arrays first differ in their bits (-1: nowhere). */
function firstDifference(a: Float64Array, b: Float64Array): number {
  for (let j = 0; j < a.length; j++) if (!Object.is(a[j], b[j])) return j;
  return a.length === b.length ? -1 : a.length;
}

describe.each<WasmSimd>(['relaxed-simd-fma', 'simd'])("private training's normals in wasm (%s) against rng/ziggurat.ts", (simd) => {
  it('60 noise chunks (245,760 normals, the tail beyond 3.44 among them): bitwise the same', async () => {
    const fill = (await createWasmBackend({ simd })).normalFill();
    const length = 60 * NOISE_CHUNK;
    const reference = new Float64Array(length);
    const wasm = new Float64Array(length);
    for (let c = 0; c < 60; c++) {
      drawNoiseChunk(reference, 11, 1, 3, c);
      drawNoiseChunk(wasm, 11, 1, 3, c, fill);
    }
    expect(firstDifference(wasm, reference)).toBe(-1);
    // The rare paths ran: draws past the ziggurat's base layer come only from the exact tail.
    expect(reference.filter((z) => Math.abs(z) > 3.442619855899).length).toBeGreaterThan(20);
  });

  it('any range of out, a scale, and a range longer than any before it', async () => {
    const fill = (await createWasmBackend({ simd })).normalFill();
    for (const [from, to, stddev] of [[5, 17, 0.25], [0, 3 * NOISE_CHUNK + 7, 2.5], [100, 100, 1]] as const) {
      const reference = new Float64Array(to + 3).fill(-7);
      const wasm = new Float64Array(to + 3).fill(-7);
      fillNormals(reference, from, to, stddev, stepStream(2, 'noise', 9, from));
      fill(wasm, from, to, stddev, stepStream(2, 'noise', 9, from));
      expect(firstDifference(wasm, reference), `[${from}, ${to})`).toBe(-1);
      expect(wasm[to]).toBe(-7);
    }
  });
});
