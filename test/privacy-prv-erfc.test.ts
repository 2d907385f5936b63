import { describe, expect, it } from 'vitest';
import { erfc, normalCdf } from '../src/privacy/prv/erfc.js';

// Python's math.erfc (python3 -c "import math; print(repr(math.erfc(x)))"), across the three
// regimes of src/privacy/prv/erfc.ts: the left side, erf's series below 1.5, the continued fraction.
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
