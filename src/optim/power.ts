/**
 * base^n for a whole n >= 0, correctly rounded (but in cases within 1e-29 of a tie), as the C
 * library's pow gives it and so numpy's `beta ** t`. V8's `**` is not correctly rounded: 0.9 ** 4
 * is 0.6561000000000001 there, 0.6561 in numpy, and Adam's bias correction takes beta^t at every
 * step. Exponentiation by squaring in double-double arithmetic (Dekker's exact products) keeps
 * about 100 bits through the at most 2 log2(n) products, and the sum of the pair rounds once.
 */
export function powerOf(base: number, n: number): number {
  if (!(Number.isSafeInteger(n) && n >= 0)) throw new RangeError(`exponent ${n} is not a whole number from 0`);
  let [hi, lo] = [1, 0];
  let [xHi, xLo] = [base, 0];
  for (let k = n; k > 0; k = Math.floor(k / 2)) {
    if (k % 2 === 1) [hi, lo] = product(hi, lo, xHi, xLo);
    if (k > 1) [xHi, xLo] = product(xHi, xLo, xHi, xLo);
  }
  return hi + lo;
}

/** (aHi + aLo)(bHi + bLo) as a normalised pair, the error of aHi*bHi kept exactly. */
function product(aHi: number, aLo: number, bHi: number, bLo: number): [number, number] {
  const p = aHi * bHi;
  const [a1, a2] = split(aHi);
  const [b1, b2] = split(bHi);
  const error = a1 * b1 - p + a1 * b2 + a2 * b1 + a2 * b2;
  const tail = error + (aHi * bLo + aLo * bHi);
  const sum = p + tail;
  return [sum, tail - (sum - p)];
}

/** Veltkamp's split of a double into two halves of 26 bits, whose products are exact. */
function split(a: number): [number, number] {
  const c = 134217729 * a;
  const high = c - (c - a);
  return [high, a - high];
}
