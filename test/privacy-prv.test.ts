import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { prvEpsilon, type SubsampledGaussian } from '../src/privacy/prv.js';
import { normalCdf } from '../src/privacy/erfc.js';
import { SettingError } from '../src/util/errors.js';

const EPS_ERROR = 0.01;
const SCRIPT = new URL('../scripts/prv_reference.py', import.meta.url).pathname;

/** The smallest eps in [0, 200] with delta(eps) <= target, for a delta falling in eps. */
function solveEpsilon(delta: (eps: number) => number, target: number): number {
  let lo = 0;
  let hi = 200;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (delta(mid) > target) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Balle and Wang (2018): the Gaussian mechanism's exact delta(eps), mu = sqrt(steps)/sigma. */
function gaussianDelta(mu: number): (eps: number) => number {
  return (eps) => normalCdf(-eps / mu + mu / 2) - Math.exp(eps) * normalCdf(-eps / mu - mu / 2);
}

/** One step of the subsampled Gaussian: delta(eps) = P[X > x] - e^eps Q[X > x], x where the loss is eps. */
function oneStepDelta(q: number, sigma: number): (eps: number) => number {
  return (eps) => {
    const x = sigma * sigma * Math.log((Math.exp(eps) - (1 - q)) / q) + 0.5;
    const upper = (v: number) => normalCdf(-v / sigma);
    return (1 - q) * upper(x) + q * upper(x - 1) - Math.exp(eps) * upper(x);
  };
}

/** The bounds hold the exact epsilon, and the estimate is within epsError of it. */
function expectBracketed(r: ReturnType<typeof prvEpsilon>, exact: number): void {
  expect(r.epsilonLower).toBeLessThanOrEqual(exact);
  expect(r.epsilon).toBeGreaterThanOrEqual(exact);
  expect(Math.abs(r.epsilonEstimate - exact)).toBeLessThanOrEqual(EPS_ERROR);
}

describe('prvEpsilon against Opacus (PRVAccountant.get_epsilon, the upper bound)', () => {
  it('sigma=1.5 q=0.04 steps=2249 delta=1e-5: 6.777395712 to 1e-3 relative, bounds 2 epsError apart around it', () => {
    const start = performance.now();
    const r = prvEpsilon({ sampleRate: 0.04, noise: 1.5, steps: 2249 }, 1e-5);
    console.info(`prvEpsilon(sigma 1.5, q 0.04, 2249 steps): ${(performance.now() - start).toFixed(0)} ms`);
    expect(Math.abs(r.epsilon - 6.777395712) / 6.777395712).toBeLessThan(1e-3);
    expect(r.epsilonLower).toBeLessThanOrEqual(6.7774);
    expect(6.7774).toBeLessThanOrEqual(r.epsilon + EPS_ERROR);
    expect(r.epsilonLower).toBeLessThan(r.epsilonEstimate);
    expect(r.epsilonEstimate).toBeLessThan(r.epsilon);
    // The bounds are the estimate's neighbours at delta -/+ deltaError, each moved by epsError.
    expect(r.epsilon - r.epsilonLower).toBeGreaterThan(2 * EPS_ERROR);
    expect(r.epsilon - r.epsilonLower).toBeLessThan(2 * EPS_ERROR + 0.005);
  });

  // opacus/tests/prv_accountant.py's table (values of microsoft/prv_accountant), delta 1e-6, 4 places there.
  const table: [number, number, number, number][] = [
    [0.8, 0.001, 100, 0.27040336405801868],
    [1.5, 0.05, 100, 1.9538531356842002],
    [0.8, 0.2, 100, 24.333664177922564],
    [1.5, 0.05, 1000, 6.2099692465772671],
    [3.0, 0.001, 20000, 0.19403103068605471],
  ];
  for (const [noise, sampleRate, steps, expected] of table) {
    it(`sigma=${noise} q=${sampleRate} steps=${steps} delta=1e-6: ${expected} to 1e-4`, () => {
      expect(prvEpsilon({ sampleRate, noise, steps }, 1e-6).epsilon).toBeCloseTo(expected, 4);
    });
  }
});

describe('noise bisection with prvEpsilon (Opacus get_noise_multiplier, written here for the test)', () => {
  it('target epsilon 8, delta 1e-5, q 0.04, 90 epochs (2250 steps): sigma 1.34765625', () => {
    const eps = (noise: number) => prvEpsilon({ sampleRate: 0.04, noise, steps: 2250 }, 1e-5).epsilon;
    const target = 8;
    const start = performance.now();
    let calls = 0;
    let low = 0;
    let high = 10;
    let epsHigh = Infinity;
    while (epsHigh > target) {
      high *= 2;
      epsHigh = eps(high);
      calls++;
    }
    while (target - epsHigh > 0.01) {
      const noise = (low + high) / 2;
      const e = eps(noise);
      calls++;
      if (e < target) [high, epsHigh] = [noise, e];
      else low = noise;
    }
    console.info(`bisection: ${calls} prvEpsilon calls in ${(performance.now() - start).toFixed(0)} ms`);
    expect(high).toBe(1.34765625);
  });
});

describe('prvEpsilon against exact epsilons from scripts/prv_reference.py (inverse Laplace transform, numpy)', () => {
  const cases: (SubsampledGaussian & { delta: number })[] = [
    { sampleRate: 0.04, noise: 1.5, steps: 10, delta: 1e-5 },
    { sampleRate: 0.2, noise: 0.8, steps: 100, delta: 1e-6 },
    { sampleRate: 0.04, noise: 1.5, steps: 2249, delta: 1e-5 },
  ];
  let reference: { epsilon: number; spread: number }[] = [];

  function runReference(args: string[]): unknown {
    const run = spawnSync('python3', [SCRIPT, ...args], { encoding: 'utf8', timeout: 300_000 });
    if (run.error || run.status !== 0) {
      throw new Error(`scripts/prv_reference.py needs python3 with numpy, and it failed: ${run.error?.message ?? run.stderr}`);
    }
    return JSON.parse(run.stdout);
  }

  beforeAll(() => {
    reference = runReference([JSON.stringify(cases)]) as typeof reference;
  }, 300_000);

  it("the reference's own check: Balle and Wang's Gaussian delta to 1e-9 relative", () => {
    const rows = runReference(['--self-check']) as { case: string; relativeError: number }[];
    for (const row of rows) expect(row.relativeError, row.case).toBeLessThan(1e-9);
  });

  cases.forEach((c, i) => {
    it(`sigma=${c.noise} q=${c.sampleRate} steps=${c.steps} delta=${c.delta}: bounds hold it, estimate within 1e-4`, () => {
      const exact = reference[i].epsilon;
      expect(reference[i].spread).toBeLessThan(1e-8);
      const r = prvEpsilon(c, c.delta);
      expectBracketed(r, exact);
      // Tighter than promised: the estimate is the grid's, whose mesh was chosen for epsError.
      expect(Math.abs(r.epsilonEstimate - exact)).toBeLessThan(1e-4);
    });
  });
});

describe('prvEpsilon edge cases', () => {
  for (const [noise, steps] of [
    [1, 1],
    [2, 100],
    [5, 1000],
  ]) {
    it(`q=1 sigma=${noise} steps=${steps}: the Gaussian mechanism's exact epsilon (mu = ${Math.sqrt(steps) / noise})`, () => {
      const exact = solveEpsilon(gaussianDelta(Math.sqrt(steps) / noise), 1e-5);
      expectBracketed(prvEpsilon({ sampleRate: 1, noise, steps }, 1e-5), exact);
    });
  }

  it('steps=1 q=0.04 sigma=1.5: the one-step closed form', () => {
    const exact = solveEpsilon(oneStepDelta(0.04, 1.5), 1e-5);
    expectBracketed(prvEpsilon({ sampleRate: 0.04, noise: 1.5, steps: 1 }, 1e-5), exact);
  });

  it('steps=1, 2, 3: epsilon grows with every step', () => {
    const eps = [1, 2, 3].map((steps) => prvEpsilon({ sampleRate: 0.04, noise: 1.5, steps }, 1e-5).epsilonEstimate);
    expect(eps[0]).toBeLessThan(eps[1]);
    expect(eps[1]).toBeLessThan(eps[2]);
  });

  it('delta 0.9995: delta + deltaError passes all the mass, so the lower bound is 0, not NaN', () => {
    const r = prvEpsilon({ sampleRate: 0.01, noise: 1, steps: 1000 }, 0.9995);
    expect(r.epsilonLower).toBe(0);
    expect(r.epsilonEstimate).toBe(0);
    expect(r.epsilon).toBeGreaterThanOrEqual(0);
    expect(r.epsilon).toBeLessThan(0.02);
  });

  it('sigma=50 q=0.001 steps=10: a mechanism that spends almost nothing reports epsilon >= 0', () => {
    const r = prvEpsilon({ sampleRate: 0.001, noise: 50, steps: 10 }, 1e-5);
    expect(r.epsilonLower).toBe(0);
    expect(r.epsilonEstimate).toBeGreaterThanOrEqual(0);
    expect(r.epsilon).toBeLessThan(0.02);
  });
});

describe('prvEpsilon rejects settings it cannot account, naming the setting', () => {
  const good = { sampleRate: 0.04, noise: 1.5, steps: 100 };
  const cases: [string, SubsampledGaussian, number, object, string][] = [
    ['noise 0', { ...good, noise: 0 }, 1e-5, {}, 'noise'],
    ['noise -1', { ...good, noise: -1 }, 1e-5, {}, 'noise'],
    ['noise NaN', { ...good, noise: NaN }, 1e-5, {}, 'noise'],
    ['sampleRate 0', { ...good, sampleRate: 0 }, 1e-5, {}, 'sampleRate'],
    ['sampleRate 1.5', { ...good, sampleRate: 1.5 }, 1e-5, {}, 'sampleRate'],
    ['steps 0', { ...good, steps: 0 }, 1e-5, {}, 'steps'],
    ['steps 2.5', { ...good, steps: 2.5 }, 1e-5, {}, 'steps'],
    ['delta 0', good, 0, {}, 'delta'],
    ['delta 1', good, 1, {}, 'delta'],
    ['delta 1e-13 (below float64 rounding on the grid)', good, 1e-13, {}, 'delta'],
    ['epsError 0', good, 1e-5, { epsError: 0 }, 'epsError'],
    ['deltaError = delta', good, 1e-5, { deltaError: 1e-5 }, 'deltaError'],
    ['noise 0.05 q=1 steps=1000 (the grid would need billions of points)', { sampleRate: 1, noise: 0.05, steps: 1000 }, 1e-5, {}, 'noise'],
  ];
  for (const [name, mechanism, delta, options, setting] of cases) {
    it(`${name}: SettingError on ${setting}`, () => {
      let caught: unknown;
      try {
        prvEpsilon(mechanism, delta, options);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(SettingError);
      expect((caught as SettingError).setting).toBe(setting);
    });
  }
});
