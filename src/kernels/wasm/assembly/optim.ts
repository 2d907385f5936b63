// The main thread's per-step loops, bitwise equal to optim/average-slots.ts and optim/adam.ts in
// float32: each value is widened to f64, combined with the same f64 operations in the same order
// (never fused), and rounded once to f32 where the reference stores into a Float32Array.

import { loadWide, widenHigh as high, widenLow as low } from './simd';

@inline function narrow(lo: v128, hi: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

/**
 * The sums of optim/average-slots.ts fed a run of slots at a time, so that the main thread can add
 * the slots that are complete while the workers still compute the rest of the batch: slots
 * [from, to) are added to sum[j] (f64) in sample order, and a `fresh` run (from slot 0) starts the
 * sum from slot 0's values; one that is not fresh adds slot 0 to what the sum holds (a batch larger
 * than the slots goes through them in rounds). Per element that is the reference's exact sequence of f64 operations, so
 * meanOfSum gives bitwise its mean. slots is slot 0's address; slots are `stride` floats apart, and
 * n of each are summed (a pool thread sums a block of coordinates: the addresses point at it). Sixteen
 * floats of the sum stay in eight f64x2 registers while every slot of the run is added to them, so
 * the sum is loaded and stored once per run rather than once per slot; the caller keeps runs short
 * (optim.ts says why).
 */
export function addSlots(sum: usize, slots: usize, stride: i32, n: i32, from: i32, to: i32, fresh: bool): void {
  const slotBytes = <usize>stride << 2;
  const firstAt = slots + <usize>from * slotBytes;
  const skip = fresh ? 1 : 0;
  const n16 = n & ~15;
  for (let j = 0; j < n16; j += 16) {
    const at = sum + (<usize>j << 3);
    let p = firstAt + (<usize>j << 2);
    let s0: v128, s1: v128, s2: v128, s3: v128, s4: v128, s5: v128, s6: v128, s7: v128;
    if (fresh) {
      const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48);
      s0 = low(v0); s1 = high(v0); s2 = low(v1); s3 = high(v1);
      s4 = low(v2); s5 = high(v2); s6 = low(v3); s7 = high(v3);
      p += slotBytes;
    } else {
      s0 = v128.load(at); s1 = v128.load(at, 16); s2 = v128.load(at, 32); s3 = v128.load(at, 48);
      s4 = v128.load(at, 64); s5 = v128.load(at, 80); s6 = v128.load(at, 96); s7 = v128.load(at, 112);
    }
    for (let s = from + skip; s < to; s++, p += slotBytes) {
      s0 = f64x2.add(s0, loadWide(p, 0));
      s1 = f64x2.add(s1, loadWide(p, 8));
      s2 = f64x2.add(s2, loadWide(p, 16));
      s3 = f64x2.add(s3, loadWide(p, 24));
      s4 = f64x2.add(s4, loadWide(p, 32));
      s5 = f64x2.add(s5, loadWide(p, 40));
      s6 = f64x2.add(s6, loadWide(p, 48));
      s7 = f64x2.add(s7, loadWide(p, 56));
    }
    v128.store(at, s0); v128.store(at, s1, 16); v128.store(at, s2, 32); v128.store(at, s3, 48);
    v128.store(at, s4, 64); v128.store(at, s5, 80); v128.store(at, s6, 96); v128.store(at, s7, 112);
  }
  for (let j = n16; j < n; j++) {
    const at = sum + (<usize>j << 3);
    let p = firstAt + (<usize>j << 2);
    let x = fresh ? <f64>load<f32>(p) : load<f64>(at);
    if (fresh) p += slotBytes;
    for (let s = from + skip; s < to; s++, p += slotBytes) x += <f64>load<f32>(p);
    store<f64>(at, x);
  }
}

/**
 * mean[j] = <f32>(sum[j] / divisor), the last step of the average; returns whether every mean[j]
 * is finite (v - v is 0 for a finite v, NaN for NaN and the infinities), checked on the way.
 */
export function meanOfSum(mean: usize, sum: usize, n: i32, by: f64): bool {
  const divisor = f64x2.splat(by);
  const zero = f32x4.splat(0);
  let notFinite = zero;
  const n4 = n & ~3;
  for (let j = 0; j < n4; j += 4) {
    const at = sum + (<usize>j << 3);
    const m = narrow(f64x2.div(v128.load(at), divisor), f64x2.div(v128.load(at, 16), divisor));
    v128.store(mean + (<usize>j << 2), m);
    notFinite = v128.or(notFinite, f32x4.ne(f32x4.sub(m, m), zero));
  }
  let finite = !v128.any_true(notFinite);
  for (let j = n4; j < n; j++) {
    const m = <f32>(load<f64>(sum + (<usize>j << 3)) / by);
    store<f32>(mean + (<usize>j << 2), m);
    finite = finite && m - m == 0;
  }
  return finite;
}

/**
 * One Adam update in the reference's operation order:
 *   m = beta1*m + (1-beta1)*g;  v = beta2*v + (1-beta2)*(g*g);  p -= (lrT*m) / (sqrt(v) + eps)
 * with m and v read back as the f32 values just stored, as the reference's m[j], v[j] are.
 * Returns whether every value it stored is finite, checked on the way as meanOfSum checks.
 */
export function adamUpdate(
  params: usize, grad: usize, m: usize, v: usize, n: i32,
  lrT: f64, beta1: f64, beta2: f64, oneMinusBeta1: f64, oneMinusBeta2: f64, eps: f64,
): bool {
  const B1 = f64x2.splat(beta1);
  const B2 = f64x2.splat(beta2);
  const C1 = f64x2.splat(oneMinusBeta1);
  const C2 = f64x2.splat(oneMinusBeta2);
  const LR = f64x2.splat(lrT);
  const EPS = f64x2.splat(eps);
  const zero = f32x4.splat(0);
  let notFinite = zero;
  const n4 = n & ~3;
  for (let j = 0; j < n4; j += 4) {
    const at = <usize>j << 2;
    const g = v128.load(grad + at);
    const gl = low(g);
    const gh = high(g);
    const mOld = v128.load(m + at);
    const vOld = v128.load(v + at);
    const mNew = narrow(
      f64x2.add(f64x2.mul(B1, low(mOld)), f64x2.mul(C1, gl)),
      f64x2.add(f64x2.mul(B1, high(mOld)), f64x2.mul(C1, gh)),
    );
    const vNew = narrow(
      f64x2.add(f64x2.mul(B2, low(vOld)), f64x2.mul(C2, f64x2.mul(gl, gl))),
      f64x2.add(f64x2.mul(B2, high(vOld)), f64x2.mul(C2, f64x2.mul(gh, gh))),
    );
    v128.store(m + at, mNew);
    v128.store(v + at, vNew);
    const p = v128.load(params + at);
    const pl = f64x2.sub(low(p), f64x2.div(f64x2.mul(LR, low(mNew)), f64x2.add(f64x2.sqrt(low(vNew)), EPS)));
    const ph = f64x2.sub(high(p), f64x2.div(f64x2.mul(LR, high(mNew)), f64x2.add(f64x2.sqrt(high(vNew)), EPS)));
    const pNew = narrow(pl, ph);
    v128.store(params + at, pNew);
    const spread = f32x4.add(f32x4.add(f32x4.sub(mNew, mNew), f32x4.sub(vNew, vNew)), f32x4.sub(pNew, pNew));
    notFinite = v128.or(notFinite, f32x4.ne(spread, zero));
  }
  let finite = !v128.any_true(notFinite);
  for (let j = n4; j < n; j++) {
    const at = <usize>j << 2;
    const g = <f64>load<f32>(grad + at);
    const mj = <f32>(beta1 * <f64>load<f32>(m + at) + oneMinusBeta1 * g);
    const vj = <f32>(beta2 * <f64>load<f32>(v + at) + oneMinusBeta2 * (g * g));
    store<f32>(m + at, mj);
    store<f32>(v + at, vj);
    const pj = <f32>(<f64>load<f32>(params + at) - (lrT * <f64>mj) / (Math.sqrt(<f64>vj) + eps));
    store<f32>(params + at, pj);
    finite = finite && mj - mj == 0 && vj - vj == 0 && pj - pj == 0;
  }
  return finite;
}
