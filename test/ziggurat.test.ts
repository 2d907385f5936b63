import { describe, expect, it } from 'vitest';
import { stepStream } from '../src/rng/streams.js';
import { ZigguratNormal } from '../src/rng/ziggurat.js';

/** The standard normal CDF, by the Abramowitz-Stegun 7.1.26 erf (error below 1.5e-7). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

function draws(count: number, step: number): Float64Array {
  const normal = new ZigguratNormal(stepStream(7, 'noise', step));
  return Float64Array.from({ length: count }, () => normal.next());
}

describe('standard normals by the ziggurat (private training noise)', () => {
  const n = 1_000_000;
  const z = draws(n, 1);

  it(`${n} draws: mean 0, variance 1, no skew, kurtosis 3 (within 5 standard errors)`, () => {
    let m1 = 0, m2 = 0, m3 = 0, m4 = 0;
    for (const x of z) {
      m1 += x;
      m2 += x * x;
      m3 += x ** 3;
      m4 += x ** 4;
    }
    expect(Math.abs(m1 / n)).toBeLessThan(5 * Math.sqrt(1 / n));
    expect(Math.abs(m2 / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(m3 / n)).toBeLessThan(5 * Math.sqrt(15 / n));
    expect(Math.abs(m4 / n - 3)).toBeLessThan(5 * Math.sqrt(96 / n));
  });

  it('the distribution is the normal one: Kolmogorov-Smirnov distance below the 1% critical value', () => {
    const sorted = Float64Array.from(z.subarray(0, 200_000)).sort();
    let d = 0;
    for (let i = 0; i < sorted.length; i++) {
      const f = phi(sorted[i]);
      d = Math.max(d, Math.abs(f - i / sorted.length), Math.abs(f - (i + 1) / sorted.length));
    }
    expect(d).toBeLessThan(1.63 / Math.sqrt(sorted.length));
  });

  it('tails as the normal has them: |z| > 2, 3, 3.44 (where the tail method takes over) and 4', () => {
    for (const [t, p] of [[2, 0.0455003], [3, 0.0026998], [R_EDGE, 5.762e-4], [4, 6.3342e-5]] as const) {
      const count = z.reduce((c, x) => c + (Math.abs(x) > t ? 1 : 0), 0);
      const expected = n * p;
      expect(Math.abs(count - expected), `|z| > ${t}: ${count} against ${expected.toFixed(0)}`).toBeLessThan(5 * Math.sqrt(expected) + 1);
    }
    const above = z.reduce((c, x) => c + (x > 3 ? 1 : 0), 0);
    const below = z.reduce((c, x) => c + (x < -3 ? 1 : 0), 0);
    expect(Math.abs(above - below)).toBeLessThan(5 * Math.sqrt(above + below));
  });

  it('consecutive draws are uncorrelated, and the same (seed, step) gives the same draws', () => {
    let c = 0;
    for (let i = 1; i < n; i++) c += z[i] * z[i - 1];
    expect(Math.abs(c / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(draws(1000, 1)).toEqual(z.subarray(0, 1000));
    expect(draws(1000, 2)).not.toEqual(z.subarray(0, 1000));
  });
});

const R_EDGE = 3.442619855899;
