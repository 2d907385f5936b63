/**
 * log(erfc(x)) to about 1e-15 relative for every finite x, also where erfc(x) itself underflows
 * (x > 26): the RDP series of fractional orders weigh their terms by Gaussian tail masses far out
 * in the tail, and Node has no erf of its own.
 *
 * Two expansions, each used where it converges fast and loses nothing to cancellation:
 *   |x| < 1.5   erf(x) = 2/sqrt(pi) exp(-x^2) sum_n x (2x^2)^n / (2n+1)!!   (all terms positive)
 *   x >= 1.5    erfc(x) = exp(-x^2) / (sqrt(pi) K(x)),
 *               K(x) = x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))         (Laplace's fraction)
 * At 1.5 the series needs about 25 terms and the fraction about 90, fewer beyond. 1 - erf(x)
 * loses only a factor erfc(1.5) = 0.034 of relative precision there.
 */

const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);
const SWITCH = 1.5;

export function logErfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return -Infinity;
  if (x === -Infinity) return Math.LN2;
  if (x >= SWITCH) return logErfcFraction(x);
  if (x >= 0) return Math.log1p(-erfSeries(x));
  if (x > -SWITCH) return Math.log1p(erfSeries(-x));
  // erfc(x) = 2 - erfc(-x), and erfc(-x) <= 0.034 here.
  return Math.LN2 + Math.log1p(-0.5 * Math.exp(logErfcFraction(-x)));
}

/** erf(x) for 0 <= x < SWITCH. */
function erfSeries(x: number): number {
  const twoX2 = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= twoX2 / (2 * n + 1);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

/** log(erfc(x)) for x >= SWITCH, by modified Lentz evaluation of K(x). */
function logErfcFraction(x: number): number {
  const tiny = 1e-300;
  let k = x;
  let c = k;
  let d = 0;
  for (let n = 1; n < 1000; n++) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? 1 / tiny : 1 / d;
    c = x + a / c;
    if (c === 0) c = tiny;
    const ratio = c * d;
    k *= ratio;
    if (Math.abs(ratio - 1) < 1e-16) break;
  }
  return -x * x - LOG_SQRT_PI - Math.log(k);
}
