import { erfc } from '../erfc.js';

/**
 * The privacy random variable (PRV) of one step of the Poisson-subsampled Gaussian mechanism with
 * sensitivity 1: with P = (1-q) N(0, sigma^2) + q N(1, sigma^2) (the sample is in the batch with
 * probability q) and Q = N(0, sigma^2) (it is not in the data set), the privacy loss of an output x
 * is L(x) = log(P(x)/Q(x)) = log(1 - q + q exp((2x - 1) / (2 sigma^2))), and the PRV is Y = L(X)
 * with X ~ P. Gopi, Lee and Wutschitz (2021), propositions B1 and B4; the same pair as Opacus's
 * PoissonSubsampledGaussianPRV (the remove direction only).
 *
 * L is increasing in x, so Y <= t exactly when X <= x(t) = sigma^2 z(t) + 1/2 with
 * z(t) = log((e^t - (1 - q)) / q); below log(1 - q) the loss never goes.
 */
export class SubsampledGaussianPrv {
  /** log(1 - q): the smallest privacy loss (minus infinity when q = 1). */
  readonly lossFloor: number;
  private readonly logQ: number;
  private readonly scale: number;

  constructor(
    readonly sampleRate: number,
    readonly noise: number,
  ) {
    this.lossFloor = Math.log1p(-sampleRate);
    this.logQ = Math.log(sampleRate);
    this.scale = noise * Math.SQRT2;
  }

  /** x(t), the output at which the privacy loss is t (minus infinity at or below the floor). */
  outputAtLoss(t: number): number {
    if (t <= this.lossFloor) return -Infinity;
    const q = this.sampleRate;
    // Two forms so that neither e^t overflows nor e^t - (1 - q) cancels more than it must.
    const z = t > 0 ? t - this.logQ + Math.log1p(-(1 - q) * Math.exp(-t)) : Math.log1p(Math.expm1(t) / q);
    return this.noise * this.noise * z + 0.5;
  }

  /**
   * P(Y <= t) and P(Y > t), each computed from its own erfc terms, so that both tails keep their
   * relative accuracy (1 - cdf would round a 1e-20 upper tail to zero).
   */
  tails(t: number): { cdf: number; sf: number } {
    const x = this.outputAtLoss(t);
    if (x === -Infinity) return { cdf: 0, sf: 1 };
    const q = this.sampleRate;
    const [lowerA, upperA] = normalTails(x / this.scale);
    const [lowerB, upperB] = normalTails((x - 1) / this.scale);
    return { cdf: (1 - q) * lowerA + q * lowerB, sf: (1 - q) * upperA + q * upperB };
  }

  /** L(x), as log(e^u + e^v) with the larger exponent taken out. */
  loss(x: number): number {
    const u = this.logQ + (2 * x - 1) / (2 * this.noise * this.noise);
    if (this.sampleRate === 1) return u;
    const v = this.lossFloor;
    return u > v ? u + Math.log1p(Math.exp(v - u)) : v + Math.log1p(Math.exp(u - v));
  }

  /** The density of P at x. */
  density(x: number): number {
    const s = this.noise;
    const q = this.sampleRate;
    const d0 = (x / s) * (x / s);
    const d1 = ((x - 1) / s) * ((x - 1) / s);
    return ((1 - q) * Math.exp(-0.5 * d0) + q * Math.exp(-0.5 * d1)) / (s * Math.sqrt(2 * Math.PI));
  }

  /**
   * E[Y | tMin < Y <= tMax], the mean the discretisation must keep. As an integral over the output,
   * E[L(X); x(tMin) < X <= x(tMax)] / mass, its integrand is smooth and Gaussian-tailed, so Simpson's
   * rule is exact to rounding once its step resolves both scales: sigma (the mixture's components)
   * and sigma^2 (over which L bends from its floor to its slope 1/sigma^2).
   */
  truncatedMean(tMin: number, tMax: number): number {
    const s = this.noise;
    const lo = Math.max(this.outputAtLoss(tMin), -40 * s);
    const hi = Math.min(this.outputAtLoss(tMax), 1 + 40 * s);
    if (!(hi > lo)) throw new Error(`the PRV's truncation [${tMin}, ${tMax}] holds no mass`);
    const panels = 2 * Math.ceil((hi - lo) / (Math.min(s, s * s) / 100));
    const h = (hi - lo) / panels;
    let weighted = 0;
    let mass = 0;
    for (let i = 0; i <= panels; i++) {
      const x = lo + i * h;
      const w = i === 0 || i === panels ? 1 : i % 2 === 1 ? 4 : 2;
      const p = w * this.density(x);
      mass += p;
      weighted += p * this.loss(x);
    }
    return weighted / mass;
  }
}

/**
 * [Phi(v sqrt 2), 1 - Phi(v sqrt 2)] from one erfc: the small one directly, the other as 1 minus
 * it, which loses nothing because it is at least 1/2.
 */
function normalTails(v: number): [number, number] {
  const small = 0.5 * erfc(Math.abs(v));
  return v >= 0 ? [1 - small, small] : [small, 1 - small];
}
