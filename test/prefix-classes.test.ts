import { describe, expect, it } from 'vitest';
import { prefixClasses } from '../src/data/dataset.js';

describe('prefixClasses', () => {
  it('counts the classes of a prefix of labels stored in class order', () => {
    const sorted = Int32Array.from([0, 0, 0, 1, 1, 2, 2, 2]);
    expect(prefixClasses(sorted, 3)).toEqual({ inPrefix: 1, inSet: 3, prefixForAll: 6 });
    expect(prefixClasses(sorted, 4)).toEqual({ inPrefix: 2, inSet: 3, prefixForAll: 6 });
    expect(prefixClasses(sorted, 6)).toEqual({ inPrefix: 3, inSet: 3, prefixForAll: 6 });
  });

  it('finds every class early in mixed labels, and counts only the classes present', () => {
    const mixed = Int32Array.from([3, 7, 3, 9, 7, 3]);
    expect(prefixClasses(mixed, 2)).toEqual({ inPrefix: 2, inSet: 3, prefixForAll: 4 });
    expect(prefixClasses(mixed, 4)).toEqual({ inPrefix: 3, inSet: 3, prefixForAll: 4 });
  });
});
