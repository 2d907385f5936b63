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
  for (let k = 0; k < K; k++) {
    const row = f32At(w, k * n);
    let acc = f32x4.splat(0);
    for (let i = 0; i < n4; i += 4) acc = madd(v128.load(f32At(a2, i)), v128.load(f32At(row, i)), acc);
    let sum = hsum(acc);
    for (let i = n4; i < n; i++) sum += load<f32>(f32At(a2, i)) * load<f32>(f32At(row, i));
    store<f32>(f32At(logits, k), load<f32>(f32At(b, k)) + sum);
  }
}

/**
 * Differentiates denseForward, with conv2's ReLU mask applied to the input gradient; writes w and b
 * of the gradient slot and da2 (F2,OH2,OW2).
 *   b[k] = g[k];  w[k,i] = g[k] * a2[i];  da2[i] = a2[i] > 0 ? sum_k w[k,i] * g[k] : 0
 */
export function denseBackward(c: usize, params: usize, slot: usize): void {
  const n = cfg(c, Cfg.DENSE_IN);
  const K = cfg(c, Cfg.CLASSES);
  const a2 = addr(c, Cfg.A2);
  const da2 = addr(c, Cfg.DA2);
  const dlogits = addr(c, Cfg.DLOGITS);
  const w = f32At(params, cfg(c, Cfg.O_W));
  const dw = f32At(slot, cfg(c, Cfg.O_W));
  const db = f32At(slot, cfg(c, Cfg.O_B));
  for (let k = 0; k < K; k++) store<f32>(f32At(db, k), load<f32>(f32At(dlogits, k)));
  const n4 = n & ~3;
  const zero = f32x4.splat(0);
  for (let i = 0; i < n4; i += 4) {
    const a = v128.load(f32At(a2, i));
    let acc = zero;
    for (let k = 0; k < K; k++) {
      const g = v128.load32_splat(f32At(dlogits, k));
      const at = k * n + i;
      // + 0 turns g * 0 = -0 into the +0 that the reference's zeroed accumulator holds.
      v128.store(f32At(dw, at), madd(g, a, zero));
      acc = madd(v128.load(f32At(w, at)), g, acc);
    }
    v128.store(f32At(da2, i), mask4(acc, a));
  }
  for (let i = n4; i < n; i++) {
    const a = load<f32>(f32At(a2, i));
    let acc: f32 = 0;
    for (let k = 0; k < K; k++) {
      const g = load<f32>(f32At(dlogits, k));
      store<f32>(f32At(dw, k * n + i), g * a + 0);
      acc += load<f32>(f32At(w, k * n + i)) * g;
    }
    store<f32>(f32At(da2, i), a > 0 ? acc : 0);
  }
}
