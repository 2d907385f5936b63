import FFT from 'fft.js';
import { describe, expect, it } from 'vitest';
import { selfCompose } from '../src/privacy/prv/compose.js';
import type { Grid } from '../src/privacy/prv/grid.js';

/**
 * A pmf on the points -2..2 (times dt) and the pmf of the sum of `steps` draws from it by direct
 * convolution, both on the grid's window (the sum stays inside it, so nothing wraps).
 */
function pmfAndPower(grid: Grid, steps: number, seed: number): { pmf: Float64Array; power: Float64Array } {
  let x = seed;
  let kernel = Array.from({ length: 5 }, () => (x = (x * 16807) % 2147483647) / 2147483647);
  const total = kernel.reduce((a, b) => a + b, 0);
  kernel = kernel.map((p) => p / total);
  let sum = kernel;
  for (let s = 1; s < steps; s++) {
    const next = new Array<number>(sum.length + 4).fill(0);
    for (let i = 0; i < sum.length; i++) for (let j = 0; j < 5; j++) next[i + j] += sum[i] * kernel[j];
    sum = next;
  }
  const pmf = new Float64Array(grid.length);
  kernel.forEach((p, k) => (pmf[k - 2 - grid.lo] = p));
  // The sum's k-th entry is the point (k - 2 steps) dt, at window index k - 2 steps - lo.
  const power = new Float64Array(grid.length);
  sum.forEach((p, k) => (power[k - 2 * steps - grid.lo] = p));
  return { pmf, power };
}

describe('selfCompose: the FFT power of a pmf, rotated onto the grid, equals direct convolution', () => {
  const cases: { grid: Grid; steps: number }[] = [
    { grid: { dt: 0.5, lo: -7, size: 16, length: 16 }, steps: 1 },
    { grid: { dt: 0.5, lo: -7, size: 16, length: 16 }, steps: 2 },
    { grid: { dt: 0.5, lo: -7, size: 16, length: 16 }, steps: 3 },
    { grid: { dt: 0.1, lo: -40, size: 80, length: 128 }, steps: 7 },
    { grid: { dt: 0.1, lo: -511, size: 1024, length: 1024 }, steps: 50 },
    { grid: { dt: 0.1, lo: -300, size: 602, length: 1024 }, steps: 64 },
  ];
  for (const { grid, steps } of cases) {
    it(`length=${grid.length} lo=${grid.lo} steps=${steps}: to 1e-15 absolute, shift times steps`, () => {
      const { pmf, power: expected } = pmfAndPower(grid, steps, 12345 + steps);
      const composed = selfCompose({ grid, pmf, shift: 0.01 }, steps);
      let worst = 0;
      for (let j = 0; j < grid.length; j++) worst = Math.max(worst, Math.abs(composed.pmf[j] - expected[j]));
      expect(worst).toBeLessThan(1e-15);
      expect(composed.shift).toBeCloseTo(0.01 * steps, 14);
    });
  }
});

describe('fft.js: realTransform leaves the upper half undefined, completeSpectrum fills it (fft.js issue #25)', () => {
  it('length=8 all ones: the full spectrum is [8, 0, ..., 0]', () => {
    const fft = new FFT(8);
    const out = new Float64Array(16);
    fft.realTransform(out, new Float64Array(8).fill(1));
    fft.completeSpectrum(out);
    expect(Array.from(out, (v) => v + 0)).toEqual([8, ...new Array(15).fill(0)]);
  });
});
