/**
 * An upper bound on epsilon by Renyi DP, which the PRV accountant needs only to size its grid
 * (Gopi et al. 2021, remark 5.6): past the bound the composed privacy loss holds almost no mass.
 *
 * Integer orders only: they need no special functions, and any order gives a valid bound, so at
 * worst the grid is a little wider than Opacus's (which also tries fractional orders below 11).
 * It stays here, apart from the RDP accountant that users see, so that the PRV module stands alone.
 */
const ORDERS = Array.from({ length: 255 }, (_, i) => i + 2);

/**
 * epsilon(delta) for `steps` compositions of the subsampled Gaussian, by Balle et al. (2020)'s
 * conversion eps = rdp(a) + log((a-1)/a) - (log delta + log a)/(a-1), minimised over the orders a.
 */
export function rdpEpsilon(sampleRate: number, noise: number, steps: number, delta: number): number {
  let best = Infinity;
  for (const a of ORDERS) {
    const rdp = steps * subsampledGaussianRdp(sampleRate, noise, a);
    const eps = rdp + Math.log((a - 1) / a) - (Math.log(delta) + Math.log(a)) / (a - 1);
    if (eps < best) best = eps;
  }
  return best;
}

/**
 * RDP of order a (an integer >= 2) of one step: log(A_a)/(a-1) with
 * A_a = sum_i C(a,i) q^i (1-q)^(a-i) exp((i^2 - i)/(2 sigma^2)) (Mironov, Talwar, Zhang 2019, section
 * 3.3), summed in log space because its terms overflow long before the bound is useless.
 */
function subsampledGaussianRdp(q: number, sigma: number, a: number): number {
  if (q === 1) return a / (2 * sigma * sigma);
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  let logA = -Infinity;
  let logBinom = 0;
  for (let i = 0; i <= a; i++) {
    if (i > 0) logBinom += Math.log((a - i + 1) / i);
    const term = logBinom + i * logQ + (a - i) * log1mQ + (i * i - i) / (2 * sigma * sigma);
    logA = logAdd(logA, term);
  }
  return logA / (a - 1);
}

function logAdd(x: number, y: number): number {
  const hi = Math.max(x, y);
  if (hi === -Infinity) return hi;
  return hi + Math.log1p(Math.exp(Math.min(x, y) - hi));
}
