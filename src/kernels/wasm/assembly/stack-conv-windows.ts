import { la, lf, L } from './stack-config';
import { madd } from './simd';
import { clear } from './stack-conv-plain';

// The window versions of a stack's convolution over an image of few channels (stack-conv.ts says
// when they run): each output visits the nonzero pixels of its window only, found in one bitmask per
// window and channel (RB bits per kernel row, RB the kernel width rounded up to a power of two) and
// walked with ctz, so that a window costs one loop exit instead of one per row or per pixel.
// Against the scatter versions (opacus-mnist's conv16k8s2p3, FMA build, µs per sample): forward
// 11.4 -> 8.9 on MNIST digits and 24.7 -> 15.9 on dilated digits (56% nonzero); weight gradient
// 11.0 -> 10.4 and 25.0 -> 18.9 (`node dist/bench/research/stack-phases.js --other <previous build>`).
// The masks come from one u64 per image row and channel, bit x + PW set where pixel x is nonzero
// (MASK, made by the forward pass and read again by the backward pass of the same sample).
// Layouts as in stack-conv-plain.ts, with CP = 4 and FP a multiple of 16; dws is (KH,KW,C,FP).
//   windowForward         each output's 16 filter lanes in four accumulators in registers;
//   windowWeightGradient  each output's 16 gradient lanes in registers, added into dws for each
//                         nonzero pixel of its window; outputs whose gradient is all zero (behind
//                         a ReLU or a pool, most of them) are skipped.

/** Bits per kernel row in a window mask. */
@inline function rowBits(KW: i32): i32 {
  return KW <= 4 ? 4 : KW <= 8 ? 8 : KW <= 16 ? 16 : 32;
}

/** Whether a layer's shape fits the window masks: windows of at most 64 bits, padded rows of at most 64 pixels. */
export function fitsWindows(l: usize): bool {
  return lf(l, L.CP) == 4 && lf(l, L.FP) % 16 == 0 && lf(l, L.KW) <= 32 && lf(l, L.KH) * rowBits(lf(l, L.KW)) <= 64 &&
    lf(l, L.W) + 2 * lf(l, L.PW) <= 64;
}

/** The nonzero window of output (oy,ox) in channel c: bit ky*RB + kx set where in[oy*SH-PH+ky, ox*SW-PW+kx, c] != 0. */
@inline function windowMask(masks: usize, C: i32, c: i32, H: i32, KH: i32, KW: i32, RB: i32, y0: i32, shift: i32): u64 {
  const kwMask: u64 = (<u64>1 << <u64>KW) - 1;
  let m: u64 = 0;
  for (let ky = max(0, -y0), end = min(KH, H - y0); ky < end; ky++) {
    m |= ((load<u64>(masks + (<usize>((y0 + ky) * C + c) << 3)) >> <u64>shift) & kwMask) << <u64>(ky * RB);
  }
  return m;
}

/** out[oy,ox,f] = b[f] + sum over the window's nonzero in[y,x,c] of in[y,x,c] * wf[ky,kx,c,f] */
export function windowForward(l: usize): void {
  const C = lf(l, L.C), H = lf(l, L.H), W = lf(l, L.W);
  const OH = lf(l, L.OH), OW = lf(l, L.OW), FP = lf(l, L.FP);
  const KH = lf(l, L.KH), KW = lf(l, L.KW), SH = lf(l, L.SH), SW = lf(l, L.SW), PH = lf(l, L.PH), PW = lf(l, L.PW);
  const inp = la(l, L.IN), out = la(l, L.OUT), wf = la(l, L.WF), bp = la(l, L.BP), masks = la(l, L.MASK);
  const RB = rowBits(KW);
  const rbShift = <u64>ctz(RB);
  for (let y = 0; y < H; y++) {
    for (let c = 0; c < C; c++) {
      let m: u64 = 0;
      for (let x = 0; x < W; x++) m |= <u64>(load<f32>(inp + (<usize>(((y * W + x) << 2) + c) << 2)) != 0) << <u64>(x + PW);
      store<u64>(masks + (<usize>(y * C + c) << 3), m);
    }
  }
  const rowBytes = <usize>W << 4; // one input row, CP = 4
  const kyBytes = <usize>(KW * C * FP) << 2; // one kernel row of wf
  const kxBytes = <usize>(C * FP) << 2;
  for (let oy = 0; oy < OH; oy++) {
    const y0 = oy * SH - PH;
    for (let ox = 0; ox < OW; ox++) {
      const x0 = ox * SW - PW;
      // Position (y0, x0) of the window, which may lie in the padding: only its nonzero pixels are read.
      const corner = inp + <usize>(y0 * W + x0) * 16;
      const o = out + (<usize>((oy * OW + ox) * FP) << 2);
      for (let fb = 0; fb < FP; fb += 16) {
        const b = bp + (<usize>fb << 2);
        let acc0 = v128.load(b), acc1 = v128.load(b, 16), acc2 = v128.load(b, 32), acc3 = v128.load(b, 48);
        for (let c = 0; c < C; c++) {
          let m = windowMask(masks, C, c, H, KH, KW, RB, y0, ox * SW);
          const w = wf + (<usize>(c * FP + fb) << 2);
          while (m != 0) {
            const bit = ctz(m);
            m &= m - 1;
            const ky = <usize>(bit >> rbShift), kx = <usize>(bit & (<u64>RB - 1));
            const v = v128.load32_splat(corner + ky * rowBytes + (kx << 4) + (<usize>c << 2));
            const wt = w + ky * kyBytes + kx * kxBytes;
            acc0 = madd(v, v128.load(wt), acc0);
            acc1 = madd(v, v128.load(wt, 16), acc1);
            acc2 = madd(v, v128.load(wt, 32), acc2);
            acc3 = madd(v, v128.load(wt, 48), acc3);
          }
        }
        v128.store(o + (<usize>fb << 2), acc0);
        v128.store(o + (<usize>fb << 2), acc1, 16);
        v128.store(o + (<usize>fb << 2), acc2, 32);
        v128.store(o + (<usize>fb << 2), acc3, 48);
      }
    }
  }
}

/** dw[f,c,ky,kx] = sum over outputs of dout[oy,ox,f] * in[oy*SH-PH+ky, ox*SW-PW+kx, c], nonzero pixels only. */
export function windowWeightGradient(l: usize, slot: usize): void {
  const C = lf(l, L.C), H = lf(l, L.H), W = lf(l, L.W);
  const F = lf(l, L.F), OH = lf(l, L.OH), OW = lf(l, L.OW), FP = lf(l, L.FP);
  const KH = lf(l, L.KH), KW = lf(l, L.KW), SH = lf(l, L.SH), SW = lf(l, L.SW), PH = lf(l, L.PH), PW = lf(l, L.PW);
  const inp = la(l, L.IN), dout = la(l, L.DOUT), dws = la(l, L.DWS), masks = la(l, L.MASK);
  const RB = rowBits(KW);
  const rbShift = <u64>ctz(RB);
  const taps = KH * KW;
  clear(dws, taps * C * FP);
  const rowBytes = <usize>W << 4;
  const kyBytes = <usize>(KW * C * FP) << 2;
  const kxBytes = <usize>(C * FP) << 2;
  for (let oy = 0; oy < OH; oy++) {
    const y0 = oy * SH - PH;
    for (let ox = 0; ox < OW; ox++) {
      const x0 = ox * SW - PW;
      const corner = inp + <usize>(y0 * W + x0) * 16;
      const gp = dout + (<usize>((oy * OW + ox) * FP) << 2);
      for (let fb = 0; fb < FP; fb += 16) {
        const g0 = v128.load(gp + (<usize>fb << 2)), g1 = v128.load(gp + (<usize>fb << 2), 16);
        const g2 = v128.load(gp + (<usize>fb << 2), 32), g3 = v128.load(gp + (<usize>fb << 2), 48);
        if (!v128.any_true(v128.or(v128.or(g0, g1), v128.or(g2, g3)))) continue;
        for (let c = 0; c < C; c++) {
          let m = windowMask(masks, C, c, H, KH, KW, RB, y0, ox * SW);
          const d = dws + (<usize>(c * FP + fb) << 2);
          while (m != 0) {
            const bit = ctz(m);
            m &= m - 1;
            const ky = <usize>(bit >> rbShift), kx = <usize>(bit & (<u64>RB - 1));
            const v = v128.load32_splat(corner + ky * rowBytes + (kx << 4) + (<usize>c << 2));
            const p = d + ky * kyBytes + kx * kxBytes;
            v128.store(p, madd(v, g0, v128.load(p)));
            v128.store(p, madd(v, g1, v128.load(p, 16)), 16);
            v128.store(p, madd(v, g2, v128.load(p, 32)), 32);
            v128.store(p, madd(v, g3, v128.load(p, 48)), 48);
          }
        }
      }
    }
  }
  const dw = slot + (<usize>lf(l, L.S_W) << 2);
  for (let f = 0; f < F; f++) {
    for (let c = 0; c < C; c++) {
      for (let t = 0; t < taps; t++) {
        store<f32>(dw + (<usize>((f * C + c) * taps + t) << 2), load<f32>(dws + (<usize>((t * C + c) * FP + f) << 2)));
      }
    }
  }
}
