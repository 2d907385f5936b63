import { la, lf, L } from './stack-config';
import { madd } from './simd';
import { clear } from './stack-conv-plain';

// A stack's convolution over an image of few channels (stack-conv.ts says when these run), layouts
// as in stack-conv-plain.ts with CP = 4 and FP a multiple of 16; dws is (KH,KW,C,FP).
//   windowForward      each output visits the nonzero pixels of its window only, found in one
//                      bitmask per window and channel (RB bits per kernel row, RB the kernel width
//                      rounded up to a power of two) and walked with ctz, its 16 filter lanes in
//                      four accumulators in registers. The masks come from one u64 per image row
//                      and channel, bit x + PW set where pixel x is nonzero (MASK).
//   tapWeightGradient  by taps rather than by windows: for each pair of taps, every output whose
//                      gradient is not all zero adds its term into accumulators in registers, the
//                      pixels read from a zero-padded copy of the input. Zero pixels add exact
//                      zeros, so the sums are those of a walk over nonzero pixels, in the same order;
//                      walking them cost more than the zeros' arithmetic (docs/experiments.md).

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

/**
 * dw[f,c,ky,kx] = sum over outputs of dout[oy,ox,f] * in[oy*SH-PH+ky, ox*SW-PW+kx, c], by taps: the
 * input copied once into a zero-padded image after the masks, the outputs whose 16 gradient lanes
 * are not all zero listed (corner, gradient) in LIST, and then for each pair of taps (ky, kx),
 * (ky, kx+1) and channel the listed outputs' terms added in eight accumulators held in registers.
 * Zero pixels add exact zeros, so the sums are those over the nonzero pixels alone, in output order.
 */
export function tapWeightGradient(l: usize, slot: usize): void {
  const C = lf(l, L.C), H = lf(l, L.H), W = lf(l, L.W);
  const F = lf(l, L.F), OH = lf(l, L.OH), OW = lf(l, L.OW), FP = lf(l, L.FP);
  const KH = lf(l, L.KH), KW = lf(l, L.KW), SH = lf(l, L.SH), SW = lf(l, L.SW), PH = lf(l, L.PH), PW = lf(l, L.PW);
  const inp = la(l, L.IN), dout = la(l, L.DOUT), dws = la(l, L.DWS), list = la(l, L.LIST);
  const padded = la(l, L.MASK) + ((<usize>(H * C * 8) + 15) & ~15);
  const WP = W + 2 * PW;
  const paddedRow = <usize>WP << 4; // CP = 4 floats a position
  clear(padded, (H + 2 * PH) * WP * 4);
  for (let y = 0; y < H; y++) memory.copy(padded + <usize>(y + PH) * paddedRow + (<usize>PW << 4), inp + (<usize>(y * W) << 4), <usize>W << 4);
  const taps = KH * KW;
  for (let fb = 0; fb < FP; fb += 16) {
    let n = 0;
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const gp = dout + (<usize>((oy * OW + ox) * FP + fb) << 2);
        if (!v128.any_true(v128.or(v128.or(v128.load(gp), v128.load(gp, 16)), v128.or(v128.load(gp, 32), v128.load(gp, 48))))) continue;
        store<i32>(list + (<usize>n << 3), <i32>(<usize>(oy * SH) * paddedRow + (<usize>(ox * SW) << 4)));
        store<i32>(list + (<usize>n << 3), <i32>gp, 4);
        n++;
      }
    }
    for (let c = 0; c < C; c++) {
      for (let ky = 0; ky < KH; ky++) {
        for (let kx = 0; kx < KW; kx += 2) {
          const at = padded + <usize>ky * paddedRow + (<usize>kx << 4) + (<usize>c << 2);
          const zero = f32x4.splat(0);
          let a0 = zero, a1 = zero, a2 = zero, a3 = zero, b0 = zero, b1 = zero, b2 = zero, b3 = zero;
          for (let e = 0; e < n; e++) {
            const p = at + <usize>load<i32>(list + (<usize>e << 3));
            const gp = <usize>load<i32>(list + (<usize>e << 3), 4);
            const g0 = v128.load(gp), g1 = v128.load(gp, 16), g2 = v128.load(gp, 32), g3 = v128.load(gp, 48);
            const va = v128.load32_splat(p);
            const vb = v128.load32_splat(p, 16);
            a0 = madd(va, g0, a0); a1 = madd(va, g1, a1); a2 = madd(va, g2, a2); a3 = madd(va, g3, a3);
            b0 = madd(vb, g0, b0); b1 = madd(vb, g1, b1); b2 = madd(vb, g2, b2); b3 = madd(vb, g3, b3);
          }
          const da = dws + (<usize>(((ky * KW + kx) * C + c) * FP + fb) << 2);
          v128.store(da, a0); v128.store(da, a1, 16); v128.store(da, a2, 32); v128.store(da, a3, 48);
          if (kx + 1 < KW) {
            const db = da + (<usize>(C * FP) << 2);
            v128.store(db, b0); v128.store(db, b1, 16); v128.store(db, b2, 32); v128.store(db, b3, 48);
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
