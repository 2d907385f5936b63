import { type NameSetting, SettingError } from '../util/errors.js';
import { PrvGridTooLarge, prvEpsilon } from './prv.js';
import { DEFAULT_ORDERS, type FractionalSum, rdpEpsilon, rdpOfSteps } from './rdp.js';

/**
 * The accountants: each turns a mechanism (Poisson sampling at `sampleRate`, Gaussian noise of
 * multiplier `noise`, `steps` steps) and a delta into the epsilon it spends. Which one a run uses
 * is its `accountant` setting; everything else reaches them through this table.
 */

/** rdp-abs: the RDP accountant with dp_accounting's sum at fractional orders (rdp.ts), to reproduce its figures. */
export type AccountantKind = 'rdp' | 'rdp-abs' | 'prv';
export const ACCOUNTANT_KINDS: readonly AccountantKind[] = ['rdp', 'rdp-abs', 'prv'];

export interface Mechanism {
  /** The probability with which each step takes each training sample. */
  readonly sampleRate: number;
  /** The noise multiplier sigma: noise N(0, (sigma x clip)^2) on the sum of clipped gradients. */
  readonly noise: number;
  readonly steps: number;
}

/** What an accountant finds: epsilon, and what it learnt on the way (rdp: the best order). */
export interface Spending {
  readonly epsilon: number;
  readonly [detail: string]: number;
}

/** `orders`: the Renyi orders an RDP accountant minimises over (Opacus's by default); the others ignore it. */
export type Accountant = (mechanism: Mechanism, delta: number, orders?: readonly number[]) => Spending;

/** How each RDP accountant sums the series of a fractional order; the other kinds are not RDP. */
const FRACTIONAL_SUMS: Partial<Record<AccountantKind, FractionalSum>> = { rdp: 'signed', 'rdp-abs': 'absolute' };

function rdpAccountant(fractional: FractionalSum): Accountant {
  return ({ sampleRate, noise, steps }, delta, orders = DEFAULT_ORDERS) => {
    const { epsilon, order } = rdpEpsilon(sampleRate, noise, steps, delta, orders, fractional);
    return { epsilon, order };
  };
}

export const ACCOUNTANTS: Record<AccountantKind, Accountant> = {
  rdp: rdpAccountant('signed'),
  'rdp-abs': rdpAccountant('absolute'),
  prv: (mechanism, delta) => {
    const { epsilon, epsilonLower, epsilonEstimate } = prvEpsilon(mechanism, delta);
    return { epsilon, epsilonLower, epsilonEstimate };
  },
};

export function isRdpAccountant(kind: AccountantKind): boolean {
  return FRACTIONAL_SUMS[kind] !== undefined;
}

/** The RDP `mechanism` spends at each of `orders`, by RDP accountant `kind`, its settings checked first. */
export function rdpSpent(kind: AccountantKind, mechanism: Mechanism, orders: readonly number[]): number[] {
  const fractional = FRACTIONAL_SUMS[kind];
  if (fractional === undefined) throw new RangeError(`the ${kind} accountant does not work in Renyi orders`);
  checkNoise(mechanism.noise);
  checkSchedule(mechanism.sampleRate, mechanism.steps, 0);
  return rdpOfSteps(mechanism.sampleRate, mechanism.noise, mechanism.steps, orders, fractional);
}

/** The epsilon `mechanism` spends at `delta` by accountant `kind`, its settings checked first. */
export function epsilonSpent(kind: AccountantKind, mechanism: Mechanism, delta: number, orders?: readonly number[]): Spending {
  checkNoise(mechanism.noise);
  checkSchedule(mechanism.sampleRate, mechanism.steps, 0);
  checkDelta(delta);
  const key = JSON.stringify([kind, mechanism.sampleRate, mechanism.noise, mechanism.steps, delta, orders ?? null]);
  if (lastSpent?.key === key) return lastSpent.spending;
  const spending = ACCOUNTANTS[kind](mechanism, delta, orders);
  lastSpent = { key, spending };
  return spending;
}

/**
 * The last answer: a private run asks the same question twice at its start (is the plan's epsilon
 * finite, then the header's figure), and PRV's answer over many steps takes most of a second.
 */
let lastSpent: { readonly key: string; readonly spending: Spending } | null = null;

/** Noise multipliers above this are taken for an unreachable target, as in Opacus. */
const MAX_NOISE = 1e6;

/**
 * The noise multiplier that spends at most `targetEpsilon` (and within `tolerance` of it) over
 * `steps` steps at `sampleRate`: the bisection of Opacus's get_noise_multiplier, step for step,
 * so that its published figures come out the same. It doubles the upper end from 10 (so 20 is the
 * first noise tried) until that spends no more than the target, then halves [low, high] keeping
 * epsilon(high) <= target, and returns high.
 */
export function noiseForTarget(
  kind: AccountantKind,
  targetEpsilon: number,
  delta: number,
  sampleRate: number,
  steps: number,
  { tolerance = 0.01, orders }: { tolerance?: number; orders?: readonly number[] } = {},
): number {
  if (!(targetEpsilon > 0 && targetEpsilon < Infinity)) {
    throw new SettingError('targetEpsilon', (name) => `${name('targetEpsilon')} must be a positive number, got ${describe(targetEpsilon)}`);
  }
  checkDelta(delta);
  checkSchedule(sampleRate, steps, 1);
  if (!(tolerance > 0)) throw new RangeError(`epsilon tolerance ${tolerance} is not positive`);
  const epsilonAt = (noise: number) => {
    try {
      return ACCOUNTANTS[kind]({ sampleRate, noise, steps }, delta, orders).epsilon;
    } catch (e) {
      // A noise the PRV grid cannot resolve, whose RDP bound is already above the target, is above it
      // too; one below the target (many steps, not little noise) is the grid's limit, said as such.
      if (!(e instanceof PrvGridTooLarge)) throw e;
      if (e.rdpEpsilon > targetEpsilon) return Infinity;
      throw new SettingError(
        'targetEpsilon',
        (name) =>
          `${name('targetEpsilon')} ${targetEpsilon} over ${steps} steps at sample rate ${sampleRate} needs noises whose epsilon the PRV accountant's grid cannot resolve ` +
          `(noise ${noise} spends about ${e.rdpEpsilon.toPrecision(3)} by RDP); take ${name('accountant')} rdp`,
      );
    }
  };

  let low = 0;
  let high = 10;
  let epsilonHigh = Infinity;
  while (epsilonHigh > targetEpsilon) {
    high *= 2;
    epsilonHigh = epsilonAt(high);
    if (high > MAX_NOISE) throw unreachable(kind, targetEpsilon, delta, sampleRate, steps, high, epsilonHigh);
  }
  // The interval halves each time, so this ends; the bound only guards against a non-monotone accountant.
  for (let halvings = 0; targetEpsilon - epsilonHigh > tolerance && halvings < 200; halvings++) {
    const noise = (low + high) / 2;
    const epsilon = epsilonAt(noise);
    if (epsilon < targetEpsilon) {
      high = noise;
      epsilonHigh = epsilon;
    } else {
      low = noise;
    }
  }
  return high;
}

function unreachable(kind: AccountantKind, target: number, delta: number, sampleRate: number, steps: number, noise: number, epsilon: number) {
  const where = (name: NameSetting) => `${name('targetEpsilon')} ${target} at ${name('delta')} ${delta} (${steps} steps at sample rate ${sampleRate}, ${kind} accountant)`;
  // The doubling overshoots the cap, so its last noise may reach the target yet lie above it.
  return epsilon <= target
    ? new SettingError('targetEpsilon', (name) => `${where(name)} needs a noise multiplier above ${MAX_NOISE}`)
    : new SettingError(
        'targetEpsilon',
        (name) => `${where(name)} cannot be reached: even ${name('noise')} ${noise} spends epsilon ${epsilon.toPrecision(4)}, about the smallest reachable`,
      );
}

function checkNoise(noise: number): void {
  if (!(noise > 0 && noise < Infinity)) {
    throw new SettingError('noise', (name) => `${name('noise')} must be a positive number (the noise multiplier sigma), got ${describe(noise)}`);
  }
}

/** `minSteps` is 0 where nothing spent is a fine answer (an epsilon), 1 where a noise is sought. */
function checkSchedule(sampleRate: number, steps: number, minSteps: number): void {
  if (!(sampleRate > 0 && sampleRate <= 1)) {
    throw new SettingError('sampleRate', (name) => `${name('sampleRate')} must be above 0 and at most 1, got ${describe(sampleRate)}`);
  }
  if (!Number.isSafeInteger(steps) || steps < minSteps) {
    throw new SettingError('steps', (name) => `${name('steps')} must be a whole number of at least ${minSteps}, got ${describe(steps)}`);
  }
}

function checkDelta(delta: number): void {
  if (!(delta > 0 && delta < 1)) {
    throw new SettingError('delta', (name) => `${name('delta')} must be above 0 and below 1, got ${describe(delta)}`);
  }
}

function describe(v: number): string {
  return Number.isNaN(v) ? 'a value that is not a number' : String(v);
}
