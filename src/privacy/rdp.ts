import { logHalfErfc } from './erfc.js';

/**
 * Renyi differential privacy of the Poisson-subsampled Gaussian mechanism (Mironov, Talwar and
 * Zhang 2019, "Renyi Differential Privacy of the Sampled Gaussian Mechanism"), composed over
 * steps and turned into (epsilon, delta).
 *
 * With sampling rate q and noise multiplier sigma, one step's output on neighbouring data sets is
 * N(0, sigma^2) against the mixture mu = (1-q) N(0, sigma^2) + q N(1, sigma^2). Its RDP at order
 * alpha is D_alpha(mu || N(0, sigma^2)) = log(A_alpha) / (alpha - 1), the larger of the two
 * directions (Mironov et al., section 3.3), where
 *   A_alpha = E_{z ~ N(0, sigma^2)} [ (1 - q + q exp((2z - 1) / (2 sigma^2)))^alpha ].
 * Integer orders expand the power binomially; fractional orders split the integral at z0, where
 * the two parts of the mixture weigh the same, and expand each side in a convergent series
 * (their section 3.3). Both sums run in log space so that no term over- or underflows.
 *
 * Past order alpha + 1 the series' coefficients alternate in sign. Opacus and TF Privacy add the
 * terms with their signs, which gives the divergence itself ('signed', the default); Google's
 * dp_accounting adds their magnitudes ('absolute'), an upper bound that is higher at orders near 1
 * (docs/privacy.md), offered so that its figures can be reproduced, stopping rule included.
 */

export type FractionalSum = 'signed' | 'absolute';

/** Opacus's (and TF Privacy's) orders: dense where small budgets find their best order, sparse above. */
export const DEFAULT_ORDERS: readonly number[] = [
  ...Array.from({ length: 99 }, (_, k) => 1 + (k + 1) / 10),
  ...Array.from({ length: 52 }, (_, k) => 12 + k),
];

/**
 * Terms of a fractional order's series before it settles for a bound. Where the sampling rate is
 * large (near 1/2) and the order near 1 the terms fall only like i^-(order+1), and reaching the
 * sum's last bit would take millions; past this many, the larger of the last two partial sums
 * is an upper bound (see logAFractional), 1e-7 of A or closer in the cases tested.
 */
const MAX_SERIES_TERMS = 2_000;

/** dp_accounting's limit on the terms of its sum of magnitudes (`_MAX_STEPS_LOG_A_FRAC`). */
const ABSOLUTE_SERIES_TERMS = 1_000;

/** The RDP of one step at `order` > 1, for 0 <= sampleRate <= 1 and noise >= 0. */
export function rdpPerStep(sampleRate: number, noise: number, order: number, fractional: FractionalSum = 'signed'): number {
  if (!(sampleRate >= 0 && sampleRate <= 1)) throw new RangeError(`sample rate ${sampleRate} is not in [0, 1]`);
  if (!(noise >= 0)) throw new RangeError(`noise multiplier ${noise} is negative`);
  if (!(order > 1)) throw new RangeError(`Renyi order ${order} is not above 1`);
  if (sampleRate === 0) return 0;
  if (noise === 0 || order === Infinity) return Infinity;
  // Every step takes the sample: the plain Gaussian mechanism.
  if (sampleRate === 1) return order / (2 * noise * noise);
  const logA = Number.isInteger(order)
    ? logAInteger(sampleRate, noise, order)
    : logAFractional(sampleRate, noise, order, fractional === 'absolute');
  return logA / (order - 1);
}

/** The RDP of `steps` steps at each order: RDP adds up under composition. */
export function rdpOfSteps(
  sampleRate: number,
  noise: number,
  steps: number,
  orders: readonly number[] = DEFAULT_ORDERS,
  fractional: FractionalSum = 'signed',
): number[] {
  // Zero steps spend nothing, even where one step would spend an infinite amount (0 x Infinity).
  return orders.map((order) => (steps === 0 ? 0 : steps * rdpPerStep(sampleRate, noise, order, fractional)));
}

export interface RdpEpsilon {
  readonly epsilon: number;
  /** The order whose bound gave the smallest epsilon (NaN when no order gives a finite one). */
  readonly order: number;
}

/**
 * The smallest epsilon over the orders by the conversion of Balle et al. 2020 ("Hypothesis
 * testing interpretations and Renyi differential privacy"; Proposition 12 of Canonne, Kamath and
 * Steinke 2020 is the same bound), the one Opacus's get_privacy_spent uses:
 *   epsilon = rdp - (log(delta) + log(order)) / (order - 1) + log((order - 1) / order).
 * A negative epsilon (possible for a large delta) is reported as 0: (epsilon, delta)-DP implies
 * (epsilon', delta)-DP for every epsilon' >= epsilon.
 */
export function epsilonFromRdp(orders: readonly number[], rdp: readonly number[], delta: number): RdpEpsilon {
  if (orders.length !== rdp.length) throw new RangeError(`${orders.length} orders for ${rdp.length} RDP values`);
  let best = { epsilon: Infinity, order: NaN };
  for (let k = 0; k < orders.length; k++) {
    const a = orders[k];
    const epsilon = rdp[k] - (Math.log(delta) + Math.log(a)) / (a - 1) + Math.log((a - 1) / a);
    // The first of equal orders wins, as numpy's argmin picks it.
    if (epsilon < best.epsilon) best = { epsilon, order: a };
  }
  return { epsilon: Math.max(0, best.epsilon), order: best.order };
}

/** Epsilon at `delta` after `steps` steps, and the order that gave it. */
export function rdpEpsilon(
  sampleRate: number,
  noise: number,
  steps: number,
  delta: number,
  orders: readonly number[] = DEFAULT_ORDERS,
  fractional: FractionalSum = 'signed',
): RdpEpsilon {
  if (steps === 0) return { epsilon: 0, order: NaN };
  return epsilonFromRdp(orders, rdpOfSteps(sampleRate, noise, steps, orders, fractional), delta);
}

/** log(A_alpha) for an integer alpha: sum_i C(alpha, i) q^i (1-q)^(alpha-i) exp((i^2 - i) / (2 sigma^2)). */
function logAInteger(q: number, sigma: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const twoVar = 2 * sigma * sigma;
  let logBinomial = 0;
  let logA = -Infinity;
  for (let i = 0; i <= alpha; i++) {
    if (i > 0) logBinomial += Math.log(alpha - i + 1) - Math.log(i);
    logA = logAdd(logA, logBinomial + i * logQ + (alpha - i) * log1mQ + (i * i - i) / twoVar);
  }
  return logA;
}

/**
 * log(A_alpha) for a fractional alpha: A_alpha = A0 + A1, the integrals below and above
 * z0 = sigma^2 log(1/q - 1) + 1/2, each a series in the generalised binomial coefficients
 * C(alpha, i), whose signs alternate once i > alpha + 1; hence the signed log-space sums
 * (`absolute`: every term counted as positive).
 *   A0 term i: C(alpha, i) q^i (1-q)^(alpha-i) exp((i^2 - i) / (2 sigma^2)) erfc((i - z0) / (sqrt(2) sigma)) / 2
 *   A1 term i: C(alpha, i) q^(alpha-i) (1-q)^i exp((j^2 - j) / (2 sigma^2)) erfc((z0 - j) / (sqrt(2) sigma)) / 2,  j = alpha - i
 */
function logAFractional(q: number, sigma: number, alpha: number, absolute: boolean): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const twoVar = 2 * sigma * sigma;
  const z0 = sigma * sigma * (log1mQ - logQ) + 0.5;
  const scale = Math.SQRT2 * sigma;
  const a0 = new SignedLog();
  const a1 = new SignedLog();
  let logBinomial = 0;
  let binomialSign = 1;
  let last0 = -Infinity;
  let last1 = -Infinity;
  // log of the partial sum before this term's; -Infinity while it is not positive.
  let previous = -Infinity;
  for (let i = 0; ; i++) {
    if (i > 0) {
      const factor = alpha - i + 1;
      logBinomial += Math.log(Math.abs(factor)) - Math.log(i);
      if (factor < 0 && !absolute) binomialSign = -binomialSign;
    }
    const j = alpha - i;
    const log0 = logBinomial + i * logQ + j * log1mQ + (i * i - i) / twoVar + logHalfErfc((i - z0) / scale);
    const log1 = logBinomial + j * logQ + i * log1mQ + (j * j - j) / twoVar + logHalfErfc((z0 - j) / scale);
    a0.add(binomialSign, log0);
    a1.add(binomialSign, log1);
    const total = SignedLog.sum(a0, a1);
    const shrinking = log0 < last0 && log1 < last1 && total.sign > 0;
    if (absolute) {
      // dp_accounting's own rule, whose figures this sum is for: stop once both terms fall and lie
      // e^-30 below the sum, and take no bound from a sum that has not done so within 1,000 terms.
      if (shrinking && Math.max(log0, log1) < total.log - 30) return total.log;
      if (i + 1 >= ABSOLUTE_SERIES_TERMS) return Infinity;
    } else {
      // Once i > alpha + 1 the terms alternate in sign, and once they fall in size (they may grow
      // first) the sum lies between any two consecutive partial sums: the terms left out add up to
      // less than the last one, and e^-36 of the sum is below its last bit.
      const falling = i > alpha + 1 && shrinking;
      if (falling && Math.max(log0, log1) < total.log - 36) return total.log;
      if (i + 1 >= MAX_SERIES_TERMS) return falling ? Math.max(total.log, previous) : Infinity;
    }
    last0 = log0;
    last1 = log1;
    previous = total.sign > 0 ? total.log : -Infinity;
  }
}

/** log(e^x + e^y) without overflow. */
function logAdd(x: number, y: number): number {
  const hi = Math.max(x, y);
  const lo = Math.min(x, y);
  return lo === -Infinity ? hi : hi + Math.log1p(Math.exp(lo - hi));
}

/** A real number as its sign and the log of its magnitude, for sums whose terms span e^-700 to e^700. */
class SignedLog {
  sign = 0;
  log = -Infinity;

  add(sign: number, log: number): void {
    if (log === -Infinity) return;
    if (this.sign === 0) {
      this.sign = sign;
      this.log = log;
    } else if (sign === this.sign) {
      this.log = logAdd(this.log, log);
    } else if (log < this.log) {
      this.log += Math.log1p(-Math.exp(log - this.log));
    } else if (log > this.log) {
      this.sign = sign;
      this.log = log + Math.log1p(-Math.exp(this.log - log));
    } else {
      this.sign = 0;
      this.log = -Infinity;
    }
  }

  static sum(x: SignedLog, y: SignedLog): SignedLog {
    const s = new SignedLog();
    s.add(x.sign, x.log);
    s.add(y.sign, y.log);
    return s;
  }
}
