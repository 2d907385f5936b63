/**
 * The complementary error function, erfc(x) = (2/sqrt(pi)) * integral from x to infinity of exp(-s^2) ds.
 *
 * The accountant needs erfc far into both tails: a cell of the privacy loss grid can hold 1e-20 of
 * mass, and 1 - erf(x) would round it to zero or to noise. So erfc is computed directly where it is
 * small (x >= 1.5: the continued fraction, under 100 levels there), from erf's series where it is
 * near 1 (|x| < 1.5, where 1 - erf keeps all but one digit), and by erfc(-x) = 2 - erfc(x) on the
 * left, where the result is in [1, 2]. Against Python's math.erfc: within 2e-15 relative.
 */
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const ONE_OVER_SQRT_PI = 1 / Math.sqrt(Math.PI);
/** Past this erfc is below the smallest double. */
const UNDERFLOW_X = 27.3;

export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 1.5) return 1 - erfSeries(x);
  if (x > UNDERFLOW_X) return 0;
  return Math.exp(-x * x) * ONE_OVER_SQRT_PI * continuedFraction(x);
}

/** Phi(v), the standard normal distribution function, accurate in its lower tail. */
export function normalCdf(v: number): number {
  return 0.5 * erfc(-v / Math.SQRT2);
}

/**
 * erf(x) = (2/sqrt(pi)) exp(-x^2) sum_k 2^k x^(2k+1) / (1*3*...*(2k+1)): every term is positive, so
 * nothing cancels (the alternating Taylor series loses digits as x grows).
 */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let k = 1; k < 200; k++) {
    term *= (2 * x2) / (2 * k + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}

/**
 * sqrt(pi) exp(x^2) erfc(x) = 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))), by the modified
 * Lentz method (it stops when another level changes nothing).
 */
function continuedFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = x + a * d;
    if (d === 0) d = tiny;
    c = x + a / c;
    if (c === 0) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return 1 / f;
}
