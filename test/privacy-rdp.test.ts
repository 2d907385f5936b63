import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ORDERS, epsilonFromRdp, rdpEpsilon, rdpOfSteps, rdpPerStep } from '../src/privacy/rdp.js';

const REFERENCE = new URL('../scripts/rdp_reference.py', import.meta.url).pathname;

const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

interface ReferenceCase {
  q: number;
  sigma: number;
  order: number;
}

/** scripts/rdp_reference.py's integrals; without python3 and numpy the test fails, saying so. */
function reference(cases: ReferenceCase[]): (ReferenceCase & { forward: number; backward: number })[] {
  const r = spawnSync('python3', [REFERENCE, JSON.stringify(cases)], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw new Error(`could not run python3 (${r.error.message}): this test needs python3 with numpy to run scripts/rdp_reference.py`);
  if (r.status !== 0) throw new Error(`scripts/rdp_reference.py failed (exit ${r.status}); it needs python3 with numpy:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('epsilon of the subsampled Gaussian by RDP at the default orders (published figures)', () => {
  // Opacus's and TF Privacy's figures; 1e-9 relative leaves room only for the last digits of
  // the fractional series' truncation, where the implementations stop at different terms.
  const cases = [
    { q: 0.04, sigma: 1.5, steps: 2250, delta: 1e-5, epsilon: 7.32911117143, order: 3.9 },
    { q: 0.0025, sigma: 1.3, steps: 6000, delta: 1e-5, epsilon: 0.7242234026109595, order: 19 },
    { q: 0.001, sigma: 1.0, steps: 30000, delta: 1e-7, epsilon: 1.4154988495444842, order: 13 },
  ];
  for (const c of cases) {
    it(`q=${c.q} sigma=${c.sigma} steps=${c.steps} delta=${c.delta} -> epsilon ${c.epsilon} at order ${c.order}`, () => {
      const { epsilon, order } = rdpEpsilon(c.q, c.sigma, c.steps, c.delta);
      expect(relative(epsilon, c.epsilon)).toBeLessThan(1e-9);
      expect(order).toBe(c.order);
    });
  }

  it("the default orders are Opacus's: 1.1, 1.2, ..., 10.9, then 12, ..., 63", () => {
    expect(DEFAULT_ORDERS).toHaveLength(151);
    expect(DEFAULT_ORDERS.slice(0, 3)).toEqual([1.1, 1.2, 1.3]);
    expect(DEFAULT_ORDERS.slice(97, 101)).toEqual([10.8, 10.9, 12, 13]);
    expect(DEFAULT_ORDERS.at(-1)).toBe(63);
  });
});

describe('RDP per order, q=0.01 sigma=2.5 composed over 50 steps', () => {
  const orders = [1.5, 2.5, 5, 50, 100];
  const rdp = rdpOfSteps(0.01, 2.5, 50, orders);

  it("orders 2.5, 5, 50, 100 -> dp_accounting's published values (1e-4 relative)", () => {
    const published = [1.0854871e-3, 2.18075656e-3, 2.38460375e-2, 1.67416308e2];
    for (let k = 1; k < orders.length; k++) expect(relative(rdp[k], published[k - 1]), `order ${orders[k]}`).toBeLessThan(1e-4);
  });

  it("order 1.5 -> TF Privacy's 0.00065, not dp_accounting's 6.70579741e-4, a bound 3.1% higher", () => {
    // dp_accounting adds the magnitudes of the fractional series' terms, whose signs alternate
    // past order + 1: a safe upper bound, above the divergence itself, which the integral in
    // scripts/rdp_reference.py confirms (the test below), as do TF Privacy and Opacus.
    expect(Math.abs(rdp[0] - 0.00065)).toBeLessThan(1e-6);
    expect(relative(rdp[0], 6.50070897e-4)).toBeLessThan(1e-8);
    expect(6.70579741e-4 / rdp[0]).toBeGreaterThan(1.03);
  });

  it("the absolute sum (--accountant rdp-abs) -> dp_accounting's whole vector, order 1.5 included (1e-8 relative)", () => {
    const published = [6.70579741e-4, 1.0854871e-3, 2.18075656e-3, 2.38460375e-2, 1.67416308e2];
    const bound = rdpOfSteps(0.01, 2.5, 50, orders, 'absolute');
    for (let k = 0; k < orders.length; k++) expect(relative(bound[k], published[k]), `order ${orders[k]}`).toBeLessThan(1e-8);
    // Integer orders have no series to sum: both ways give the same number.
    expect(bound[2]).toBe(rdp[2]);
  });
});

describe("the absolute sum: dp_accounting's epsilons, never below the signed sum's", () => {
  it('q=0.04 sigma=1.5 2250 steps delta=1e-5 -> 7.32933470 at order 3.9, 3e-5 above the exact 7.32911117', () => {
    const bound = rdpEpsilon(0.04, 1.5, 2250, 1e-5, DEFAULT_ORDERS, 'absolute');
    expect(bound.order).toBe(3.9);
    expect(relative(bound.epsilon, 7.329334702381864)).toBeLessThan(1e-9);
    expect(bound.epsilon).toBeGreaterThan(rdpEpsilon(0.04, 1.5, 2250, 1e-5).epsilon);
  });

  it("stops where dp_accounting stops: q=0.01 sigma=0.3 1000 steps -> 79.4013189 at order 1.3, not Infinity there (and 377.7 at 1.7)", () => {
    // The magnitudes' tail falls only polynomially, so the signed sum's rule (e^-36 of the sum,
    // 2,000 terms) never settled; dp_accounting's (terms falling, e^-30 below the sum, 1,000 terms)
    // does. Reference: its _compute_log_a_frac redone in Python with lgamma coefficients.
    expect(relative(rdpPerStep(0.01, 0.3, 1.3, 'absolute'), 0.04336578526163932)).toBeLessThan(1e-10);
    const bound = rdpEpsilon(0.01, 0.3, 1000, 1e-5, DEFAULT_ORDERS, 'absolute');
    expect(bound.order).toBe(1.3);
    expect(relative(bound.epsilon, 79.40131886118834)).toBeLessThan(1e-10);
    expect(relative(rdpEpsilon(0.3, 0.5, 1000, 1e-5, DEFAULT_ORDERS, 'absolute').epsilon, 1128.8766326197526)).toBeLessThan(1e-10);
  });

  it('at every default order, for small and large sample rates, at least the signed sum, up to where dp_accounting stops', () => {
    // Its sum stops once the terms are e^-30 below it, so its tail may leave out up to ~1e-12 of it.
    for (const [q, sigma] of [[0.004, 2.1], [0.04, 1.5], [0.3, 1]]) {
      for (const order of DEFAULT_ORDERS) {
        const signed = rdpPerStep(q, sigma, order);
        expect(rdpPerStep(q, sigma, order, 'absolute'), `q=${q} sigma=${sigma} order=${order}`).toBeGreaterThanOrEqual(signed * (1 - 1e-11));
      }
    }
  });
});

describe('RDP of a small sample rate, whose A is 1 + 1e-12 (mpmath quadrature at 40 digits)', () => {
  // Each term's tail mass is erfc/2, near 1: taking it as log(erfc) - log 2 cost 1e-16 a term,
  // 8e-5 of q=1e-6's RDP, and at 1e12 steps an epsilon below the true one (6.4727945 for 6.4728039).
  const cases: [number, number, number, number][] = [
    [1e-6, 1, 1.5, 1.2887096300232069956e-12],
    [1e-6, 1, 4.4, 3.7802445408097577427e-12],
    [1e-5, 2, 2.5, 3.5503232277286759912e-11],
  ];
  for (const [q, sigma, order, want] of cases) {
    it(`q=${q} sigma=${sigma} order ${order}: ${want} to 1e-8`, () => {
      expect(relative(rdpPerStep(q, sigma, order), want)).toBeLessThan(1e-8);
    });
  }
  it('q=1e-6 sigma=1 over 1e12 steps, delta 1e-5: epsilon 6.4728039 at order 4.4, not below it', () => {
    const { epsilon, order } = rdpEpsilon(1e-6, 1, 1e12, 1e-5);
    expect(order).toBe(4.4);
    expect(relative(epsilon, 6.472803939)).toBeLessThan(1e-9);
  });
});

describe('RDP per step against numerical integration of the Renyi divergence (scripts/rdp_reference.py)', () => {
  const cases: ReferenceCase[] = [
    { q: 0.01, sigma: 2.5, order: 1.5 },
    { q: 0.01, sigma: 2.5, order: 2.5 },
    { q: 0.01, sigma: 2.5, order: 5 },
    { q: 0.01, sigma: 2.5, order: 100 },
    { q: 0.04, sigma: 1.5, order: 3.9 },
    { q: 0.04, sigma: 1.5, order: 1.1 },
    { q: 0.0025, sigma: 1.3, order: 19 },
    { q: 0.001, sigma: 1, order: 13 },
    { q: 0.0001, sigma: 1, order: 1.5 },
    { q: 0.5, sigma: 0.8, order: 7.3 },
    { q: 0.9, sigma: 2, order: 2.2 },
    { q: 0.1, sigma: 0.5, order: 12.5 },
    { q: 0.2, sigma: 5, order: 33.3 },
    { q: 0.3, sigma: 0.3, order: 1.05 },
    // Slow series (terms falling like i^-2.1), ended by the bound of MAX_SERIES_TERMS.
    { q: 0.5, sigma: 2, order: 1.1 },
    { q: 0.5, sigma: 5, order: 1.3 },
  ];
  // In beforeAll, so that without python3 these tests fail and the others in the file still run.
  let integrals: ReturnType<typeof reference> = [];
  beforeAll(() => {
    integrals = reference(cases);
  });

  cases.forEach((c, k) => {
    it(`q=${c.q} sigma=${c.sigma} order=${c.order}: the series equals the integral of D(mixture || N(0, sigma^2)) to 1e-6`, () => {
      const r = integrals[k];
      expect(r).toMatchObject(c);
      expect(relative(rdpPerStep(c.q, c.sigma, c.order), r.forward)).toBeLessThan(1e-6);
    });
  });

  it('the other direction, D(N(0, sigma^2) || mixture), is never the larger', () => {
    expect(integrals).toHaveLength(cases.length);
    for (const r of integrals) expect(r.backward, `q=${r.q} sigma=${r.sigma} order=${r.order}`).toBeLessThanOrEqual(r.forward * (1 + 1e-9));
  });
});

describe('RDP special cases', () => {
  it('q=0 spends nothing, sigma=0 spends everything, q=1 is the plain Gaussian order/(2 sigma^2)', () => {
    expect(rdpPerStep(0, 1, 3.5)).toBe(0);
    expect(rdpPerStep(0.1, 0, 3.5)).toBe(Infinity);
    expect(rdpPerStep(1, 2, 3.5)).toBe(3.5 / 8);
    expect(rdpPerStep(1, 2, 4)).toBe(0.5);
  });

  it('integer and fractional orders meet: order 5 and 5 +- 1e-7 differ by less than 1e-6', () => {
    for (const [q, sigma] of [[0.01, 1], [0.2, 0.7], [0.6, 3]]) {
      const atFive = rdpPerStep(q, sigma, 5);
      expect(relative(rdpPerStep(q, sigma, 5 + 1e-7), atFive)).toBeLessThan(1e-6);
      expect(relative(rdpPerStep(q, sigma, 5 - 1e-7), atFive)).toBeLessThan(1e-6);
    }
  });

  it('zero steps spend epsilon 0, even with no noise', () => {
    expect(rdpEpsilon(0.5, 0, 0, 1e-5).epsilon).toBe(0);
    expect(rdpOfSteps(0.5, 0, 0, [2, 3.5])).toEqual([0, 0]);
  });

  it('orders at or below 1, rates outside [0, 1] and negative noise are programming errors', () => {
    expect(() => rdpPerStep(0.1, 1, 1)).toThrow(RangeError);
    expect(() => rdpPerStep(1.5, 1, 2)).toThrow(RangeError);
    expect(() => rdpPerStep(0.1, -1, 2)).toThrow(RangeError);
  });
});

describe('the conversion to (epsilon, delta)', () => {
  it('is rdp - (log delta + log order)/(order - 1) + log((order - 1)/order), minimised over orders', () => {
    const orders = [2, 4, 8];
    const rdp = [0.5, 1, 3];
    const expected = orders.map((a, k) => rdp[k] - (Math.log(1e-5) + Math.log(a)) / (a - 1) + Math.log((a - 1) / a));
    const best = Math.min(...expected);
    expect(epsilonFromRdp(orders, rdp, 1e-5)).toEqual({ epsilon: best, order: orders[expected.indexOf(best)] });
  });

  it('a negative bound (large delta, little spent) is reported as epsilon 0', () => {
    expect(epsilonFromRdp([63], [1e-6], 0.5).epsilon).toBe(0);
  });

  it('orders with an infinite RDP are passed over; none finite gives epsilon Infinity', () => {
    expect(epsilonFromRdp([2, 3], [Infinity, 0.1], 1e-5).order).toBe(3);
    expect(epsilonFromRdp([2, 3], [Infinity, Infinity], 1e-5).epsilon).toBe(Infinity);
  });
});
