import { describe, expect, it } from 'vitest';
import { median, pairedRatio } from '../src/util/median.js';

describe('median', () => {
  it('odd count: the middle value, whatever the input order', () => {
    expect(median([7])).toBe(7);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([5, -1, 9, 4, 4])).toBe(4);
  });

  it('even count: the mean of the two middle values, not the upper one', () => {
    expect(median([1, 2])).toBe(1.5);
    expect(median([10, 40, 20, 30])).toBe(25);
    expect(median([2, 2, 8, 8])).toBe(5);
  });

  it('sorts numerically, not as strings', () => {
    expect(median([100, 9, 20])).toBe(20);
  });

  it('leaves its argument in the order it was given', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });

  it('no values: NaN', () => {
    expect(median([])).toBeNaN();
  });
});

describe('pairedRatio', () => {
  it('the median of the ratios of neighbours, not the ratio of the medians', () => {
    // The machine halves its speed after the first repeat: pairs say 1.8, 1.9 and 1.94x, while
    // the medians, 101 and 52, come from different repeats.
    const two = [180, 95, 101];
    const one = [100, 50, 52];
    expect(pairedRatio(two, one)).toBeCloseTo(1.9, 12);
    expect(median(two) / median(one)).toBeCloseTo(101 / 52, 12);
    expect(pairedRatio([3, 1, 8], [1, 1, 4])).toBe(2);
  });

  it('refuses series of different lengths', () => {
    expect(() => pairedRatio([1, 2], [1])).toThrow(/differ in length: 2 and 1/);
  });
});
