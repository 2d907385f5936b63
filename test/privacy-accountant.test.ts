import { describe, expect, it } from 'vitest';
import { ACCOUNTANT_KINDS, ACCOUNTANTS, epsilonSpent, noiseForTarget } from '../src/privacy/accountant.js';
import { poissonSchedule, stepsOfEpochs } from '../src/privacy/poisson-schedule.js';
import { rdpEpsilon } from '../src/privacy/rdp.js';
import { SettingError } from '../src/util/errors.js';

/** The SettingError `f` throws: the setting it names and its sentence in words. */
function settingError(f: () => unknown): { setting: string; message: string } {
  try {
    f();
  } catch (e) {
    if (e instanceof SettingError) return { setting: e.setting, message: e.message };
    throw e;
  }
  throw new Error('no error thrown');
}

describe('noise for a target epsilon (the bisection of Opacus get_noise_multiplier)', () => {
  it('epsilon 8, delta 1e-5, q=0.04, 90 epochs (2,250 steps) -> 1.416', () => {
    const noise = noiseForTarget('rdp', 8, 1e-5, 0.04, 2250);
    // The bisection's upper end: a dyadic fraction (725/512), so the steps can be followed exactly.
    expect(noise).toBe(1.416015625);
    expect(noise.toFixed(3)).toBe('1.416');
  });

  it('PRV: epsilon 8, delta 1e-5, q=0.04, 90 epochs (2,250 steps) -> 1.34765625', () => {
    expect(noiseForTarget('prv', 8, 1e-5, 0.04, 2250)).toBe(1.34765625);
  });

  it('PRV: a search that passes noises too small for its grid takes them as above the target: epsilon 50 at q=0.1, 400 steps -> 0.5676', () => {
    // Its halvings try 0.3125, whose epsilon (~2,300) the grid cannot resolve; that refusal ended the search.
    expect(() => epsilonSpent('prv', { sampleRate: 0.1, noise: 0.3125, steps: 400 }, 1e-5)).toThrow(/grid points to resolve/);
    const noise = noiseForTarget('prv', 50, 1e-5, 0.1, 400);
    const { epsilon } = epsilonSpent('prv', { sampleRate: 0.1, noise, steps: 400 }, 1e-5);
    expect(epsilon).toBeLessThanOrEqual(50);
    expect(50 - epsilon).toBeLessThanOrEqual(0.01);
    expect(noise).toBeCloseTo(0.5676, 4);
  });

  it('the same question twice running is answered once (a private run asks it for its plan and its header)', () => {
    const mechanism = { sampleRate: 0.04, noise: 1.5, steps: 2249 };
    const first = epsilonSpent('prv', mechanism, 1e-5);
    expect(epsilonSpent('prv', { ...mechanism }, 1e-5)).toBe(first);
    expect(epsilonSpent('prv', { ...mechanism, steps: 2250 }, 1e-5)).not.toBe(first);
  });

  it('PRV through the table: sigma 1.5, q=0.04, 2,249 steps, delta 1e-5 -> 6.777395712 (upper bound), the bounds around it', () => {
    const spent = epsilonSpent('prv', { sampleRate: 0.04, noise: 1.5, steps: 2249 }, 1e-5);
    expect(Math.abs(spent.epsilon - 6.777395712) / 6.777395712).toBeLessThan(1e-3);
    expect(spent.epsilonLower).toBeLessThan(spent.epsilon);
  });

  it('epsilon 8, delta 1e-5, q=0.04, 2,000 steps -> 1.3562', () => {
    const noise = noiseForTarget('rdp', 8, 1e-5, 0.04, 2000);
    expect(noise).toBe(1.356201171875);
    expect(noise.toFixed(4)).toBe('1.3562');
  });

  it('spends at most the target, and within the tolerance of it', () => {
    for (const tolerance of [0.01, 0.001]) {
      const noise = noiseForTarget('rdp', 3, 1e-6, 0.01, 5000, { tolerance });
      const { epsilon } = rdpEpsilon(0.01, noise, 5000, 1e-6);
      expect(epsilon).toBeLessThanOrEqual(3);
      expect(3 - epsilon).toBeLessThanOrEqual(tolerance);
    }
  });

  it('a target below what any noise reaches names the smallest reachable', () => {
    const e = settingError(() => noiseForTarget('rdp', 0.05, 1e-5, 0.04, 2250));
    expect(e.setting).toBe('targetEpsilon');
    expect(e.message).toMatch(/^target epsilon 0\.05 at delta 0\.00001 \(2250 steps at sample rate 0\.04, rdp accountant\) cannot be reached: even noise 1310720 spends epsilon 0\.10\d\d, about the smallest reachable$/);
  });

  it('refuses a non-positive target, a bad delta, rate or step count, naming each', () => {
    expect(settingError(() => noiseForTarget('rdp', 0, 1e-5, 0.04, 10)).setting).toBe('targetEpsilon');
    expect(settingError(() => noiseForTarget('rdp', NaN, 1e-5, 0.04, 10)).message).toMatch(/got a value that is not a number/);
    expect(settingError(() => noiseForTarget('rdp', 1, 1, 0.04, 10)).setting).toBe('delta');
    expect(settingError(() => noiseForTarget('rdp', 1, 1e-5, 0, 10)).setting).toBe('sampleRate');
    expect(settingError(() => noiseForTarget('rdp', 1, 1e-5, 0.04, 0)).setting).toBe('steps');
  });
});

describe('epsilonSpent checks the mechanism, then asks the table', () => {
  it('rdp gives epsilon and the best order', () => {
    expect(epsilonSpent('rdp', { sampleRate: 0.04, noise: 1.5, steps: 2250 }, 1e-5)).toEqual(rdpEpsilon(0.04, 1.5, 2250, 1e-5));
  });

  it('every accountant kind has an entry in the table', () => {
    expect(Object.keys(ACCOUNTANTS).sort()).toEqual([...ACCOUNTANT_KINDS].sort());
  });

  const refusals: [string, number, number, number, number, string, RegExp][] = [
    ['noise=0', 0.04, 0, 10, 1e-5, 'noise', /^noise must be a positive number \(the noise multiplier sigma\), got 0$/],
    ['noise=-1', 0.04, -1, 10, 1e-5, 'noise', /got -1$/],
    ['noise=Infinity', 0.04, Infinity, 10, 1e-5, 'noise', /got Infinity$/],
    ['q=0', 0, 1, 10, 1e-5, 'sampleRate', /^sample rate must be above 0 and at most 1, got 0$/],
    ['q=1.5', 1.5, 1, 10, 1e-5, 'sampleRate', /got 1\.5$/],
    ['steps=1.5', 0.04, 1, 1.5, 1e-5, 'steps', /^steps must be a whole number of at least 0, got 1\.5$/],
    ['steps=-1', 0.04, 1, -1, 1e-5, 'steps', /got -1$/],
    ['delta=0', 0.04, 1, 10, 0, 'delta', /^delta must be above 0 and below 1, got 0$/],
    ['delta=1', 0.04, 1, 10, 1, 'delta', /got 1$/],
  ];
  for (const [name, sampleRate, noise, steps, delta, setting, message] of refusals) {
    it(`refuses ${name}, naming ${setting}`, () => {
      const e = settingError(() => epsilonSpent('rdp', { sampleRate, noise, steps }, delta));
      expect(e.setting).toBe(setting);
      expect(e.message).toMatch(message);
    });
  }

  it('q=1 is allowed: every step takes every sample', () => {
    expect(epsilonSpent('rdp', { sampleRate: 1, noise: 1, steps: 1 }, 1e-5).epsilon).toBeGreaterThan(0);
  });
});

describe('the Poisson schedule from a batch size, as Opacus sets it', () => {
  it('N=60000 B=256 -> q=1/235, 235 steps an epoch', () => {
    expect(poissonSchedule(60000, 256)).toEqual({ sampleRate: 1 / 235, stepsPerEpoch: 235 });
  });

  it('N=1000 B=250 -> q=1/4; B >= N -> q=1, one step an epoch', () => {
    expect(poissonSchedule(1000, 250)).toEqual({ sampleRate: 0.25, stepsPerEpoch: 4 });
    expect(poissonSchedule(100, 100)).toEqual({ sampleRate: 1, stepsPerEpoch: 1 });
    expect(poissonSchedule(100, 500)).toEqual({ sampleRate: 1, stepsPerEpoch: 1 });
  });

  it('refuses a batch size or training set size that is not a whole number above 0', () => {
    expect(settingError(() => poissonSchedule(100, 0)).setting).toBe('batchSize');
    expect(settingError(() => poissonSchedule(0, 10)).setting).toBe('trainSize');
    expect(settingError(() => poissonSchedule(10.5, 10)).setting).toBe('trainSize');
  });

  it('epochs at a bare rate: 90 epochs at q=0.04 are 2,250 steps; a partial last epoch is not counted', () => {
    expect(stepsOfEpochs(90, 0.04)).toBe(2250);
    expect(stepsOfEpochs(3, 0.07)).toBe(42);
    expect(stepsOfEpochs(1, 0.1)).toBe(10);
    expect(stepsOfEpochs(7, 0.01)).toBe(700);
  });
});
