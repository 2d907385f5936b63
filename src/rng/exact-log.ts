/**
 * Natural log rounded to nearest, for numpy-compatible gaussians.
 *
 * Why not Math.log: numpy's legacy_gauss calls C log(), and V8's
 * fdlibm-derived Math.log disagrees with glibc's far more often than "rarely".
 * Measured on 15.7 M inputs distributed like legacy_gauss's r2 (glibc 2.36,
 * Node 20.20): Math.log was 1 ulp off glibc on 7.3 % of them, changing 3.5 %
 * of gaussian pairs by an ulp.
 *
 * This evaluates log in double-double (~104 bits) and rounds once, so it is
 * correctly rounded (checked against 60-digit decimal ln). glibc's log is
 * itself only ~0.52 ulp, so the two still differ by 1 ulp on 0.082 % of
 * those inputs (glibc is the one misrounding), which changes 0.041 % of
 * gaussian pairs by ~1 ulp (relative error <= 2.3e-16): ~85x fewer than
 * Math.log. Bit-for-bit agreement would need glibc's own tables; no sequence
 * can drift, because no branch in legacy_gauss depends on the log.
 *
 * It costs ~1 µs a call; only the legacy gaussian uses it, a few thousand
 * times per run, so the speed does not matter.
 */

// ln 2 split into a double and its remainder (ln2 - LN2_HI, to ~1e-33).
const LN2_HI = 0.6931471805599453;
const LN2_LO = 2.319046813846299558e-17;
const SPLITTER = 134217729; // 2^27 + 1, Dekker's split for exact products without FMA.
// 22 terms of 2·atanh(s) = 2s·Σ s^(2k)/(2k+1) reach 2^-106 at |s| = 3 - 2√2.
const TERMS = 22;

// Double-double results are passed through these two slots instead of
// allocating a pair per operation.
let rh = 0;
let rl = 0;

function twoSum(a: number, b: number): void {
  const s = a + b;
  const bb = s - a;
  rl = a - (s - bb) + (b - bb);
  rh = s;
}

function quickTwoSum(a: number, b: number): void {
  const s = a + b;
  rl = b - (s - a);
  rh = s;
}

function twoProd(a: number, b: number): void {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  rl = ah * bh - p + ah * bl + al * bh + al * bl;
  rh = p;
}

function ddMul(ah: number, al: number, bh: number, bl: number): void {
  twoProd(ah, bh);
  const p = rh;
  const e = rl + (ah * bl + al * bh);
  quickTwoSum(p, e);
}

function ddAdd(ah: number, al: number, bh: number, bl: number): void {
  twoSum(ah, bh);
  const s = rh;
  let e = rl;
  twoSum(al, bl);
  const t = rh;
  const f = rl;
  e += t;
  quickTwoSum(s, e);
  e = rl + f;
  quickTwoSum(rh, e);
}

// Exact double-double reciprocals 1/(2k+1), computed once: 1/3, 1/5, … are
// not doubles, and a one-double coefficient would cap accuracy at 2^-53.
const COEF_HI = new Float64Array(TERMS);
const COEF_LO = new Float64Array(TERMS);
for (let k = 0; k < TERMS; k++) {
  const d = 2 * k + 1;
  const q = 1 / d;
  twoProd(q, d);
  // 1 - q·d is exact in double-double; one correction term gives ~106 bits.
  const r = 1 - rh - rl;
  COEF_HI[k] = q;
  COEF_LO[k] = r / d;
  quickTwoSum(COEF_HI[k], COEF_LO[k]);
  COEF_HI[k] = rh;
  COEF_LO[k] = rl;
}

const bits = new DataView(new ArrayBuffer(8));

/** log(x) for finite x > 0, correctly rounded except in astronomically rare cases. */
export function exactLog(x: number): number {
  if (!(x > 0) || x === Infinity) return Math.log(x);
  if (x === 1) return 0;
  let k = 0;
  if (x < 2.2250738585072014e-308) {
    x *= 18014398509481984; // 2^54 brings subnormals into the normal range.
    k = -54;
  }
  // Split x = m·2^k exactly by reading the exponent field.
  bits.setFloat64(0, x);
  const hiWord = bits.getUint32(0);
  k += ((hiWord >>> 20) & 0x7ff) - 1023;
  bits.setUint32(0, (hiWord & 0x000fffff) | 0x3ff00000);
  let m = bits.getFloat64(0);
  // Centre m on 1 so |s| <= 3 - 2√2 and the series is short.
  if (m > Math.SQRT2) {
    m *= 0.5;
    k += 1;
  }
  // s = (m - 1)/(m + 1): m - 1 is exact (Sterbenz), m + 1 is kept as a pair.
  const num = m - 1;
  twoSum(m, 1);
  const dh = rh;
  const dl = rl;
  // Double-double division num / (dh + dl): a quotient digit, its exact
  // remainder, and two more digits give ~106 bits.
  const q1 = num / dh;
  ddMul(q1, 0, dh, dl);
  ddAdd(num, 0, -rh, -rl);
  const r1h = rh;
  const r1l = rl;
  const q2 = r1h / dh;
  ddMul(q2, 0, dh, dl);
  ddAdd(r1h, r1l, -rh, -rl);
  const q3 = rh / dh;
  quickTwoSum(q1, q2);
  ddAdd(rh, rl, q3, 0);
  const sh = rh;
  const sl = rl;
  // t = s², then Horner over the atanh series in t.
  ddMul(sh, sl, sh, sl);
  const th = rh;
  const tl = rl;
  let ph = COEF_HI[TERMS - 1];
  let pl = COEF_LO[TERMS - 1];
  for (let i = TERMS - 2; i >= 0; i--) {
    ddMul(ph, pl, th, tl);
    ddAdd(rh, rl, COEF_HI[i], COEF_LO[i]);
    ph = rh;
    pl = rl;
  }
  // log m = 2s·P(t); doubling is exact.
  ddMul(2 * sh, 2 * sl, ph, pl);
  const lh = rh;
  const ll = rl;
  // k·ln2 in double-double: k·LN2_HI exactly via twoProd, k·LN2_LO is tiny.
  twoProd(k, LN2_HI);
  const kh = rh;
  const kl = rl + k * LN2_LO;
  ddAdd(kh, kl, lh, ll);
  return rh + rl;
}
