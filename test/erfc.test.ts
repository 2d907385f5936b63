import { describe, expect, it } from 'vitest';
import { erfc, logErfc, logHalfErfc, normalCdf } from '../src/privacy/erfc.js';

// Python's math.erfc (python3 -c "import math; print(repr(math.erfc(x)))"), across the three
// regimes of src/privacy/erfc.ts: the left side, erf's series below 1.5, the continued fraction.
const PYTHON_ERFC: [number, number][] = [
  [-3, 1.9999779095030015],
  [-1, 1.842700792949715],
  [-0.2, 1.2227025892104786],
  [0, 1.0],
  [0.2, 0.7772974107895215],
  [0.5, 0.4795001221869535],
  [1, 0.15729920705028513],
  [1.49, 0.03510213515679579],
  [1.5, 0.033894853524689274],
  [2, 0.004677734981047265],
  [2.5, 0.0004069520174449589],
  [3, 2.2090496998585438e-5],
  [5, 1.5374597944280351e-12],
  [10, 2.088487583762545e-45],
  [20, 5.3958656116079005e-176],
  [26.5, 2.2109076642637343e-307],
];

describe('erfc keeps its relative accuracy in both tails (the PRV grid holds cells of 1e-20)', () => {
  for (const [x, expected] of PYTHON_ERFC) {
    it(`erfc(${x}) = Python's to 4e-15 relative`, () => {
      expect(Math.abs(erfc(x) - expected) / expected).toBeLessThan(4e-15);
    });
  }

  it('underflows to 0 past 27.3, and Phi(-40) is 0 while Phi(40) is 1', () => {
    expect(erfc(28)).toBe(0);
    expect(normalCdf(-40)).toBe(0);
    expect(normalCdf(40)).toBe(1);
  });
});

describe('logErfc keeps its accuracy where erfc underflows (the RDP series of fractional orders)', () => {
  // mpmath.log(mpmath.erfc(x)) at 50 digits, rounded to doubles.
  const exact: [number, number][] = [
    [-30, 0.6931471805599453],
    [-1.5, 0.6760545027339606],
    [-0.7, 0.5174841229791057],
    [0, 0],
    [0.3, -0.39843005144008525],
    [1.2, -2.4114403551669295],
    [1.5, -3.3844920895515527],
    [2, -5.364941264616638],
    [5, -27.200889545537436],
    [26, -679.8311997631943],
    [100, -10005.177585122665],
    [1e4, -100000009.78270532],
  ];
  for (const [x, value] of exact) {
    it(`x=${x}: ${value} to 1e-14`, () => {
      const got = logErfc(x);
      expect(value === 0 ? Math.abs(got) : Math.abs(got - value) / Math.abs(value)).toBeLessThan(1e-14);
    });
  }
});

describe('logHalfErfc: log(erfc(x) / 2), accurate where it is near 0 (mpmath at 40 digits)', () => {
  const cases: [number, number][] = [
    [-2, -0.002341606913357652654],
    [-5, -7.6872989721431289792e-13],
    [-8, -5.6121485864918254507e-30],
    [0.5, -1.4281583103970297124],
    [3, -11.413510222541057877],
  ];
  for (const [x, want] of cases) {
    it(`x = ${x}: ${want}`, () => {
      expect(Math.abs(logHalfErfc(x) / want - 1)).toBeLessThan(1e-13);
      // log(erfc) - log 2 loses the small values to log 2's last bit.
      if (x <= -5) expect(Math.abs((logErfc(x) - Math.LN2) / want - 1)).toBeGreaterThan(1e-6);
    });
  }
});
