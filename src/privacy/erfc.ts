/**
 * The complementary error function erfc(x) = (2/sqrt(pi)) * integral from x to infinity of exp(-s^2) ds,
 * its logarithm, and the normal distribution function built on it. Node has no erf of its own.
 *
 * Both accountants need erfc far into the tails: a cell of the PRV accountant's privacy loss grid can
 * hold 1e-20 of mass, and the RDP series of fractional orders weigh their terms by tail masses where
 * erfc itself underflows (x > 26), so they take its logarithm. 1 - erf(x) would round such masses to
 * zero or to noise. Two expansions, each used where it converges fast and loses nothing to cancellation:
 *   |x| < 1.5   erf(x) = 2/sqrt(pi) exp(-x^2) sum_n x (2x^2)^n / (2n+1)!!   (all terms positive)
 *   x >= 1.5    erfc(x) = exp(-x^2) / (sqrt(pi) K(x)),
 *               K(x) = x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))         (Laplace's fraction)
 * At 1.5 the series needs about 25 terms and the fraction about 90, fewer beyond; 1 - erf(x) loses
 * only a factor erfc(1.5) = 0.034 of relative precision there. Left of zero, erfc(x) = 2 - erfc(-x).
 * Against Python's math.erfc: within 2e-15 relative; log(erfc) to about 1e-15 for every finite x.
 */

const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const ONE_OVER_SQRT_PI = 1 / Math.sqrt(Math.PI);
const SWITCH = 1.5;
/** Past this erfc is below the smallest double. */
const UNDERFLOW_X = 27.3;

export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < SWITCH) return 1 - erfSeries(x);
  if (x > UNDERFLOW_X) return 0;
  return (Math.exp(-x * x) * ONE_OVER_SQRT_PI) / laplaceFraction(x);
}

/** log(erfc(x)), finite wherever erfc(x) > 0 in exact arithmetic, also where erfc(x) underflows. */
export function logErfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return -Infinity;
  if (x === -Infinity) return Math.LN2;
  if (x >= SWITCH) return -x * x - LOG_SQRT_PI - Math.log(laplaceFraction(x));
  if (x >= 0) return Math.log1p(-erfSeries(x));
  if (x > -SWITCH) return Math.log1p(erfSeries(-x));
  // erfc(x) = 2 - erfc(-x), and erfc(-x) <= 0.034 here.
  return Math.LN2 + Math.log1p(-0.5 * erfc(-x));
}

/**
 * log(erfc(x) / 2), the log of a normal tail mass, accurate also where it is near 0 (x far below
 * 0, erfc(x) near 2): log(erfc(x)) - log 2 would leave there an error of log 2's last bit, 1e-16,
 * which the RDP series of a small sample rate, whose sum is 1 + 1e-12, cannot afford.
 */
export function logHalfErfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return Math.log1p(-0.5 * erfc(-x));
  return logErfc(x) - Math.LN2;
}

/** Phi(v), the standard normal distribution function, accurate in its lower tail. */
export function normalCdf(v: number): number {
  return 0.5 * erfc(-v / Math.SQRT2);
}

/** erf(x) for 0 <= x < SWITCH; every term of the series is positive, so nothing cancels. */
function erfSeries(x: number): number {
  const twoX2 = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= twoX2 / (2 * n + 1);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x * x) * sum;
}

/** K(x) for x >= SWITCH, by the modified Lentz method (it stops when another level changes nothing). */
function laplaceFraction(x: number): number {
  const tiny = 1e-300;
  let k = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 1000; n++) {
    const a = n / 2;
    d = x + a * d;
    if (d === 0) d = tiny;
    c = x + a / c;
    if (c === 0) c = tiny;
    d = 1 / d;
    const ratio = c * d;
    k *= ratio;
    if (Math.abs(ratio - 1) < 1e-16) break;
  }
  return k;
}
