// beta^t for Adam's bias correction, against the exact powers Python's fractions give, rounded once.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { adamStepSize, SEED_ADAM } from '../src/optim/adam.js';
import { powerOf } from '../src/optim/power.js';
import { numpyImportable, PYTHON } from './helpers/python.js';

describe('powerOf: whole powers, correctly rounded', () => {
  it.runIf(numpyImportable)('beta 0.9, 0.999, 0.95 and 0.99 to the 0th..2000th: every one the exact power rounded once', () => {
    const code = [
      'import json',
      'from fractions import Fraction',
      'rows = []',
      'for b in (0.9, 0.999, 0.95, 0.99):',
      '    x, p = Fraction(b), Fraction(1)',
      '    for t in range(2001):',
      '        rows.append([b, t, float(p)])',
      '        p *= x',
      'print(json.dumps(rows))',
    ].join('\n');
    const r = spawnSync(PYTHON, ['-c', code], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
    expect(r.status, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as [number, number, number][];
    expect(rows).toHaveLength(4 * 2001);
    const wrong = rows.filter(([b, t, exact]) => powerOf(b, t) !== exact);
    expect(wrong).toEqual([]);
    // V8's own ** misses hundreds of them, which is why powerOf exists.
    expect(rows.filter(([b, t, exact]) => b ** t !== exact).length).toBeGreaterThan(100);
  });

  it('0.9^4 is 0.6561, as numpy says, where V8 says 0.6561000000000001', () => {
    expect(powerOf(0.9, 4)).toBe(0.6561);
    expect(0.9 ** 4).toBe(0.6561000000000001);
  });

  it('edges: n = 0 gives 1, powers that underflow give 0, and n must be a whole number from 0', () => {
    expect(powerOf(0.9, 0)).toBe(1);
    expect(powerOf(0.5, 1100)).toBe(0);
    expect(powerOf(0.999, 1e9)).toBe(0);
    expect(() => powerOf(0.9, 1.5)).toThrow(RangeError);
    expect(() => powerOf(0.9, -1)).toThrow(RangeError);
  });

  it("Adam's step size takes it: lr sqrt(1 - 0.999^t) / (1 - 0.9^t) at t = 4", () => {
    expect(adamStepSize(SEED_ADAM, 4)).toBe((1e-3 * Math.sqrt(1 - powerOf(0.999, 4))) / (1 - 0.6561));
  });
});
