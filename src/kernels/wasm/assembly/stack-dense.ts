import { la, lf, L } from './stack-config';
import { hsum, madd } from './simd';

// A stack's dense layer on flat vectors: in is (NIN), out (NOUT), both padded with +0 to whole
// vectors; the weight (NOUT,NIN) and bias are read in place from the parameters, in their
// Sequential layout (rows need not be 16-byte aligned: wasm loads need no alignment).

/** out[o] = b[o] + sum_i w[o,i] * in[i] */
export function denseForward(l: usize, params: usize): void {
  const n = lf(l, L.NIN), K = lf(l, L.NOUT);
  const inp = la(l, L.IN), out = la(l, L.OUT);
  const w = params + (<usize>lf(l, L.O_W) << 2);
  const b = params + (<usize>lf(l, L.O_B) << 2);
  const n4 = n & ~3;
  const rowBytes = <usize>n << 2;
  let k = 0;
  // Four outputs per pass share each load of `in` and run four accumulator chains (as ./dense.ts).
  for (; k + 4 <= K; k += 4) {
    const r0 = w + <usize>k * rowBytes;
    const r1 = r0 + rowBytes, r2 = r1 + rowBytes, r3 = r2 + rowBytes;
    let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0), acc2 = f32x4.splat(0), acc3 = f32x4.splat(0);
    for (let i = 0; i < n4; i += 4) {
      const at = <usize>i << 2;
      const a = v128.load(inp + at);
      acc0 = madd(a, v128.load(r0 + at), acc0);
      acc1 = madd(a, v128.load(r1 + at), acc1);
      acc2 = madd(a, v128.load(r2 + at), acc2);
      acc3 = madd(a, v128.load(r3 + at), acc3);
    }
    let s0 = hsum(acc0), s1 = hsum(acc1), s2 = hsum(acc2), s3 = hsum(acc3);
    for (let i = n4; i < n; i++) {
      const at = <usize>i << 2;
      const a = load<f32>(inp + at);
      s0 += a * load<f32>(r0 + at);
      s1 += a * load<f32>(r1 + at);
      s2 += a * load<f32>(r2 + at);
      s3 += a * load<f32>(r3 + at);
    }
    const o = <usize>k << 2;
    store<f32>(out + o, load<f32>(b + o) + s0);
    store<f32>(out + o, load<f32>(b + o, 4) + s1, 4);
    store<f32>(out + o, load<f32>(b + o, 8) + s2, 8);
    store<f32>(out + o, load<f32>(b + o, 12) + s3, 12);
  }
  for (; k < K; k++) {
    const row = w + <usize>k * rowBytes;
    let acc = f32x4.splat(0);
    for (let i = 0; i < n4; i += 4) acc = madd(v128.load(inp + (<usize>i << 2)), v128.load(row + (<usize>i << 2)), acc);
    let s = hsum(acc);
    for (let i = n4; i < n; i++) s += load<f32>(inp + (<usize>i << 2)) * load<f32>(row + (<usize>i << 2));
    store<f32>(out + (<usize>k << 2), load<f32>(b + (<usize>k << 2)) + s);
  }
}

/**
 * Differentiates denseForward; writes the slot's factors of the weight gradient (its input and
 * the output gradient, which is also the bias's: model/slot-layout.ts) and, when din is wanted,
 * overwrites it.
 *   slot[S_W + i] = in[i];  slot[S_B + o] = g[o];  din[i] = sum_o w[o,i] * g[o]
 */
export function denseBackward(l: usize, params: usize, slot: usize): void {
  const n = lf(l, L.NIN), K = lf(l, L.NOUT);
  const inp = la(l, L.IN), dout = la(l, L.DOUT), din = la(l, L.DIN);
  const w = params + (<usize>lf(l, L.O_W) << 2);
  memory.copy(slot + (<usize>lf(l, L.S_W) << 2), inp, <usize>n << 2);
  const db = slot + (<usize>lf(l, L.S_B) << 2);
  // + 0 turns a -0 gradient into the +0 that the reference's zeroed accumulator holds.
  for (let k = 0; k < K; k++) store<f32>(db + (<usize>k << 2), load<f32>(dout + (<usize>k << 2)) + 0);
  if (din == 0) return;
  const n4 = n & ~3;
  const rowBytes = <usize>n << 2;
  const zero = f32x4.splat(0);
  let i = 0;
  // Sixteen inputs per pass: four independent chains instead of one chain through every output,
  // and even and odd outputs in two sets of them, which halves the wait on FMA latency.
  for (; i + 16 <= n4; i += 16) {
    const at = <usize>i << 2;
    let acc0 = zero, acc1 = zero, acc2 = zero, acc3 = zero;
    let odd0 = zero, odd1 = zero, odd2 = zero, odd3 = zero;
    let k = 0;
    for (; k + 2 <= K; k += 2) {
      const g = v128.load32_splat(dout + (<usize>k << 2));
      const h = v128.load32_splat(dout + (<usize>k << 2), 4);
      const r = w + <usize>k * rowBytes + at;
      acc0 = madd(v128.load(r), g, acc0);
      acc1 = madd(v128.load(r, 16), g, acc1);
      acc2 = madd(v128.load(r, 32), g, acc2);
      acc3 = madd(v128.load(r, 48), g, acc3);
      odd0 = madd(v128.load(r + rowBytes), h, odd0);
      odd1 = madd(v128.load(r + rowBytes, 16), h, odd1);
      odd2 = madd(v128.load(r + rowBytes, 32), h, odd2);
      odd3 = madd(v128.load(r + rowBytes, 48), h, odd3);
    }
    if (k < K) {
      const g = v128.load32_splat(dout + (<usize>k << 2));
      const r = w + <usize>k * rowBytes + at;
      acc0 = madd(v128.load(r), g, acc0);
      acc1 = madd(v128.load(r, 16), g, acc1);
      acc2 = madd(v128.load(r, 32), g, acc2);
      acc3 = madd(v128.load(r, 48), g, acc3);
    }
    v128.store(din + at, f32x4.add(acc0, odd0));
    v128.store(din + at, f32x4.add(acc1, odd1), 16);
    v128.store(din + at, f32x4.add(acc2, odd2), 32);
    v128.store(din + at, f32x4.add(acc3, odd3), 48);
  }
  for (; i < n4; i += 4) {
    const at = <usize>i << 2;
    let acc = zero;
    for (let k = 0; k < K; k++) acc = madd(v128.load(w + <usize>k * rowBytes + at), v128.load32_splat(dout + (<usize>k << 2)), acc);
    v128.store(din + at, acc);
  }
  for (let i = n4; i < n; i++) {
    const at = <usize>i << 2;
    let acc: f32 = 0;
    for (let k = 0; k < K; k++) acc += load<f32>(w + <usize>k * rowBytes + at) * load<f32>(dout + (<usize>k << 2));
    store<f32>(din + at, acc);
  }
}
