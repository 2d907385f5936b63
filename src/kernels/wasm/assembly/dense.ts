import { addr, cfg, Cfg, f32At } from './config';
import { hsum, madd, mask4 } from './simd';

// The dense layer reads its parameters in place: w is (CLASSES, DENSE_IN) and a2 is flattened
// (F2,OH2,OW2) exactly as the seed flattens it, so nothing needs repacking.

/** logits[k] = b[k] + sum_i w[k,i] * a2[i] */
export function denseForward(c: usize, params: usize): void {
  const n = cfg(c, Cfg.DENSE_IN);
  const K = cfg(c, Cfg.CLASSES);
  const a2 = addr(c, Cfg.A2);
  const logits = addr(c, Cfg.LOGITS);
  const w = f32At(params, cfg(c, Cfg.O_W));
  const b = f32At(params, cfg(c, Cfg.O_B));
  const n4 = n & ~3;
  let k = 0;
  // Four classes per pass share each load of a2 and run four accumulator chains (one class per
  // pass waited on FMA latency: 1.5 us per MNIST sample, against 0.6 us;
  // `node dist/bench/research/kernel-phases.js`, dense fwd).
  for (; k + 4 <= K; k += 4) {
    const r0 = f32At(w, k * n);
    const r1 = f32At(r0, n);
    const r2 = f32At(r1, n);
    const r3 = f32At(r2, n);
    let acc0 = f32x4.splat(0);
    let acc1 = f32x4.splat(0);
    let acc2 = f32x4.splat(0);
    let acc3 = f32x4.splat(0);
    for (let i = 0; i < n4; i += 4) {
      const a = v128.load(f32At(a2, i));
      const at = <usize>i << 2;
      acc0 = madd(a, v128.load(r0 + at), acc0);
      acc1 = madd(a, v128.load(r1 + at), acc1);
      acc2 = madd(a, v128.load(r2 + at), acc2);
      acc3 = madd(a, v128.load(r3 + at), acc3);
    }
    let s0 = hsum(acc0);
    let s1 = hsum(acc1);
    let s2 = hsum(acc2);
    let s3 = hsum(acc3);
    for (let i = n4; i < n; i++) {
      const a = load<f32>(f32At(a2, i));
      s0 += a * load<f32>(f32At(r0, i));
      s1 += a * load<f32>(f32At(r1, i));
      s2 += a * load<f32>(f32At(r2, i));
      s3 += a * load<f32>(f32At(r3, i));
    }
    store<f32>(f32At(logits, k), load<f32>(f32At(b, k)) + s0);
    store<f32>(f32At(logits, k + 1), load<f32>(f32At(b, k + 1)) + s1);
    store<f32>(f32At(logits, k + 2), load<f32>(f32At(b, k + 2)) + s2);
    store<f32>(f32At(logits, k + 3), load<f32>(f32At(b, k + 3)) + s3);
  }
  for (; k < K; k++) {
    const row = f32At(w, k * n);
    let acc0 = f32x4.splat(0);
    let acc1 = f32x4.splat(0);
    let i = 0;
    for (; i + 8 <= n4; i += 8) {
      acc0 = madd(v128.load(f32At(a2, i)), v128.load(f32At(row, i)), acc0);
      acc1 = madd(v128.load(f32At(a2, i + 4)), v128.load(f32At(row, i + 4)), acc1);
    }
    if (i < n4) acc0 = madd(v128.load(f32At(a2, i)), v128.load(f32At(row, i)), acc0);
    let sum = hsum(f32x4.add(acc0, acc1));
    for (let i = n4; i < n; i++) sum += load<f32>(f32At(a2, i)) * load<f32>(f32At(row, i));
    store<f32>(f32At(logits, k), load<f32>(f32At(b, k)) + sum);
  }
}

/**
 * Differentiates denseForward, with conv2's ReLU mask applied to the input gradient; writes the
 * slot's dense factors (model/slot-layout.ts) and da2 (F2,OH2,OW2):
 *   slot[S_W + i] = a2[i];  slot[S_B + k] = g[k];  da2[i] = a2[i] > 0 ? sum_k w[k,i] * g[k] : 0
 * The weight's gradient g[k] a2[i] is formed where the slots are summed (optim.ts).
 */
export function denseBackward(c: usize, params: usize, slot: usize): void {
  const n = cfg(c, Cfg.DENSE_IN);
  const K = cfg(c, Cfg.CLASSES);
  const a2 = addr(c, Cfg.A2);
  const da2 = addr(c, Cfg.DA2);
  const dlogits = addr(c, Cfg.DLOGITS);
  const w = f32At(params, cfg(c, Cfg.O_W));
  memory.copy(f32At(slot, cfg(c, Cfg.S_W)), a2, <usize>n << 2);
  const db = f32At(slot, cfg(c, Cfg.S_B));
  // + 0 turns a -0 gradient into the +0 that the reference's zeroed accumulator holds.
  for (let k = 0; k < K; k++) store<f32>(f32At(db, k), load<f32>(f32At(dlogits, k)) + 0);
  const n4 = n & ~3;
  const zero = f32x4.splat(0);
  let i = 0;
  // Sixteen inputs per pass in four independent chains (one chain of K FMAs per four inputs waited
  // on FMA latency); each lane still sums over k in order, so the values are the same.
  for (; i + 16 <= n4; i += 16) {
    let acc0 = zero, acc1 = zero, acc2 = zero, acc3 = zero;
    for (let k = 0; k < K; k++) {
      const g = v128.load32_splat(f32At(dlogits, k));
      const r = f32At(w, k * n + i);
      acc0 = madd(v128.load(r), g, acc0);
      acc1 = madd(v128.load(r, 16), g, acc1);
      acc2 = madd(v128.load(r, 32), g, acc2);
      acc3 = madd(v128.load(r, 48), g, acc3);
    }
    const a = f32At(a2, i);
    const d = f32At(da2, i);
    v128.store(d, mask4(acc0, v128.load(a)));
    v128.store(d, mask4(acc1, v128.load(a, 16)), 16);
    v128.store(d, mask4(acc2, v128.load(a, 32)), 32);
    v128.store(d, mask4(acc3, v128.load(a, 48)), 48);
  }
  for (; i < n4; i += 4) {
    const a = v128.load(f32At(a2, i));
    let acc = zero;
    for (let k = 0; k < K; k++) acc = madd(v128.load(f32At(w, k * n + i)), v128.load32_splat(f32At(dlogits, k)), acc);
    v128.store(f32At(da2, i), mask4(acc, a));
  }
  for (let i = n4; i < n; i++) {
    const a = load<f32>(f32At(a2, i));
    let acc: f32 = 0;
    for (let k = 0; k < K; k++) acc += load<f32>(f32At(w, k * n + i)) * load<f32>(f32At(dlogits, k));
    store<f32>(f32At(da2, i), a > 0 ? acc : 0);
  }
}
