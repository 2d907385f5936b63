import { describe, expect, it } from 'vitest';
import { deltaText, epsilonDown, epsilonText, epsilonUp } from '../src/privacy/epsilon-text.js';

describe('an epsilon printed shorter is rounded up, never down', () => {
  it('to the digits asked for, carrying into the next power of ten', () => {
    expect(epsilonUp(2.5954, 4)).toBe(2.596);
    expect(epsilonUp(2.595, 4)).toBe(2.595);
    expect(epsilonUp(9.9996, 4)).toBe(10);
    expect(epsilonUp(0.99996, 4)).toBe(1);
    expect(epsilonUp(123456.7, 4)).toBe(123500);
    expect(epsilonUp(7.32911117143, 6)).toBe(7.32912);
    for (const e of [1e-9, 0.0123456, 3.14159265, 42.42424, 8765.4321]) expect(epsilonUp(e, 4)).toBeGreaterThanOrEqual(e);
  });

  it('a lower bound is rounded down, so that it stays one', () => {
    expect(epsilonDown(1.8181076682, 6)).toBe(1.8181);
    expect(epsilonDown(2.5954, 4)).toBe(2.595);
    expect(epsilonDown(10.00004, 4)).toBe(10);
    for (const e of [1e-9, 0.0123456, 3.14159265, 42.42424, 8765.4321]) expect(epsilonDown(e, 4)).toBeLessThanOrEqual(e);
  });

  it('a delta as people write it: 1e-5, not 0.00001; larger ones as they are', () => {
    expect(deltaText(0.00001)).toBe('1e-5');
    expect(deltaText(1.2493e-4)).toBe('1.2493e-4');
    expect(deltaText(0.004)).toBe('0.004');
  });

  it('as the reports print it: four digits with trailing zeros; infinity and zero as they are', () => {
    expect(epsilonText(2)).toBe('2.000');
    expect(epsilonText(1.97601)).toBe('1.977');
    expect(epsilonText(Infinity)).toBe('Infinity');
    expect(epsilonText(0)).toBe('0.000');
  });
});
