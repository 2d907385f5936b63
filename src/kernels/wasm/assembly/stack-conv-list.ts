import { la, lf, L } from './stack-config';
import { madd, storeBlock } from './simd';
import { clear } from './stack-conv-plain';

// The backward of a stack's convolution over its nonzero output gradients, for inputs of more
// than 4 channels and no padding (stack-conv.ts says when it runs; layouts as in
// stack-conv-plain.ts). Per filter, its nonzero output gradients are gathered into LIST as (byte
// offset of the window's corner, g), then visited once per tap and block of 16 input channels (or
// the last 8 or 4), with the tap's weights and weight-gradient sums in registers (./conv2-plain.ts's
// tapBackward16 for any stack). Every tap of every window is inside the input.
//
// Each pass ends with its sums for 16 channels of one tap, which the slot wants 16 taps apart
// ((F,C,KH,KW)): they go to DWS as one vector store, and a filter's (tap, channel) block is
// transposed into the slot once its taps are done: cheaper than 16 scalar stores a pass (the
// figures are in docs/kernels.md).

/**
 * The weight gradient and, when din is wanted, the input gradient (overwritten) over the nonzero
 * output gradients; no padding.
 *   dw[f,c,ky,kx] = sum g * in[corner + (ky,kx), c];  din[corner + (ky,kx), c] += wb[ky,kx,f,c] * g
 */
export function listBackward(l: usize, slot: usize): void {
  const C = lf(l, L.C), W = lf(l, L.W), CP = lf(l, L.CP), H = lf(l, L.H);
  const F = lf(l, L.F), OH = lf(l, L.OH), OW = lf(l, L.OW), FP = lf(l, L.FP);
  const KH = lf(l, L.KH), KW = lf(l, L.KW), SH = lf(l, L.SH), SW = lf(l, L.SW);
  const inp = la(l, L.IN), din = la(l, L.DIN), dout = la(l, L.DOUT), wb = la(l, L.WB), list = la(l, L.LIST);
  // One filter's sums, (KH*KW, CP): DWS holds KH*KW*C*FP floats, at least that many.
  const taps = la(l, L.DWS);
  const dw = slot + (<usize>lf(l, L.S_W) << 2);
  if (din != 0) clear(din, H * W * CP);
  for (let f = 0; f < F; f++) {
    let n = 0;
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const g = load<f32>(dout + (<usize>((oy * OW + ox) * FP + f) << 2));
        const entry = list + (<usize>n << 3);
        store<u32>(entry, <u32>((oy * SH * W + ox * SW) * CP) << 2);
        store<f32>(entry, g, 4);
        n += i32(g != 0);
      }
    }
    for (let ky = 0; ky < KH; ky++) {
      for (let kx = 0; kx < KW; kx++) {
        const tap = <usize>((ky * W + kx) * CP) << 2;
        // Blocks of 16 input channels, then one of 8 and one of 4 for the rest (LeNet-5's conv16k5,
        // 6 channels in: 136 -> 19 us per MNIST sample against the plain versions, FMA build).
        const w = wb + (<usize>(((ky * KW + kx) * F + f) * CP) << 2);
        const sums = taps + (<usize>((ky * KW + kx) * CP) << 2);
        const a = inp + tap;
        const d: usize = din == 0 ? 0 : din + tap;
        let cb = 0;
        for (; cb + 16 <= CP; cb += 16) tapBackward(a, d, w, list, n, sums, cb, 16);
        if (cb + 8 <= CP) {
          tapBackward(a, d, w, list, n, sums, cb, 8);
          cb += 8;
        }
        if (cb < CP) tapBackward(a, d, w, list, n, sums, cb, 4);
      }
    }
    storeTapsByChannel(taps, KH * KW, CP, dw + (<usize>(f * C * KH * KW) << 2), C);
  }
}

/**
 * One tap and input channels cb..cb+lanes (lanes 16, 8 or 4, a constant at each call) of
 * listBackward: its n entries, with the weights and sums in registers; the sums go to tapSums.
 * tapIn, tapDin, tapW and tapSums are the tap's addresses for channel 0 (tapDin 0 when din is not wanted).
 */
@inline function tapBackward(tapIn: usize, tapDin: usize, tapW: usize, list: usize, n: i32, tapSums: usize, cb: i32, lanes: i32): void {
  const a = tapIn + (<usize>cb << 2);
  const d: usize = tapDin == 0 ? 0 : tapDin + (<usize>cb << 2);
  const w = tapW + (<usize>cb << 2);
  const zero = f32x4.splat(0);
  const w0 = v128.load(w);
  const w1 = lanes >= 8 ? v128.load(w, 16) : zero;
  const w2 = lanes >= 16 ? v128.load(w, 32) : zero;
  const w3 = lanes >= 16 ? v128.load(w, 48) : zero;
  let acc0 = zero, acc1 = zero, acc2 = zero, acc3 = zero;
  for (let e = 0; e < n; e++) {
    const entry = list + (<usize>e << 3);
    const at = <usize>load<u32>(entry);
    const g = v128.load32_splat(entry, 4);
    const s = a + at;
    acc0 = madd(g, v128.load(s), acc0);
    if (lanes >= 8) acc1 = madd(g, v128.load(s, 16), acc1);
    if (lanes >= 16) {
      acc2 = madd(g, v128.load(s, 32), acc2);
      acc3 = madd(g, v128.load(s, 48), acc3);
    }
    if (d != 0) {
      const p = d + at;
      v128.store(p, madd(g, w0, v128.load(p)));
      if (lanes >= 8) v128.store(p, madd(g, w1, v128.load(p, 16)), 16);
      if (lanes >= 16) {
        v128.store(p, madd(g, w2, v128.load(p, 32)), 32);
        v128.store(p, madd(g, w3, v128.load(p, 48)), 48);
      }
    }
  }
  storeBlock(tapSums + (<usize>cb << 2), acc0, acc1, acc2, acc3, lanes);
}

/**
 * dst[c][t] = sums[t][c] for c < C, t < T: rows of CP floats in, rows of T out. Four taps and four
 * channels at a time by 4x4 transposes in registers, the taps left over one by one.
 */
function storeTapsByChannel(sums: usize, T: i32, CP: i32, dst: usize, C: i32): void {
  const rowBytes = <usize>CP << 2;
  const channelBytes = <usize>T << 2;
  let t = 0;
  for (; t + 4 <= T; t += 4) {
    const r = sums + <usize>t * rowBytes;
    for (let c = 0; c < C; c += 4) {
      const p = r + (<usize>c << 2);
      const t0 = v128.load(p), t1 = v128.load(p + rowBytes), t2 = v128.load(p + 2 * rowBytes), t3 = v128.load(p + 3 * rowBytes);
      const lo01 = v128.shuffle<f32>(t0, t1, 0, 4, 1, 5), lo23 = v128.shuffle<f32>(t2, t3, 0, 4, 1, 5);
      const hi01 = v128.shuffle<f32>(t0, t1, 2, 6, 3, 7), hi23 = v128.shuffle<f32>(t2, t3, 2, 6, 3, 7);
      const q = dst + (<usize>(c * T + t) << 2);
      // Channels past C are padding lanes, not in the slot.
      v128.store(q, v128.shuffle<f32>(lo01, lo23, 0, 1, 4, 5));
      if (c + 1 < C) v128.store(q + channelBytes, v128.shuffle<f32>(lo01, lo23, 2, 3, 6, 7));
      if (c + 2 < C) v128.store(q + 2 * channelBytes, v128.shuffle<f32>(hi01, hi23, 0, 1, 4, 5));
      if (c + 3 < C) v128.store(q + 3 * channelBytes, v128.shuffle<f32>(hi01, hi23, 2, 3, 6, 7));
    }
  }
  for (; t < T; t++) {
    for (let c = 0; c < C; c++) store<f32>(dst + (<usize>(c * T + t) << 2), load<f32>(sums + <usize>t * rowBytes + (<usize>c << 2)));
  }
}
