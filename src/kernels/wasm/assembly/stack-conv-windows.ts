import { la, lf, L } from './stack-config';
import { madd } from './simd';
import { clear, storeWeightGradient } from './stack-conv-plain';

// A stack's convolution over an image of few channels (stack-conv.ts says when these run), layouts
// as in stack-conv-plain.ts with CP = 4 and FP a multiple of 16; dws is (KH,KW,C,FP). Both passes
// read a zero-padded copy of the input that the forward pass makes (after the row masks in MASK),
// so no window needs a bounds test, and both add whole window rows, zeros included: a zero pixel
// adds an exact zero, so every sum is the one over the nonzero pixels, in the same order, and
// finding the nonzero pixels one by one cost more than the zeros' arithmetic (docs/experiments.md).
//   pairForward        two neighbouring outputs at a time, each tap's weights loaded once for both,
//                      their 16 filter lanes in eight accumulators in registers; window rows that
//                      are zero in both windows are skipped, by one u64 mask per image row and
//                      channel (bit x + PW set where pixel x is nonzero).
//   tapWeightGradient  by taps: for each pair of taps, every output whose gradient is not all zero
//                      adds its term into eight accumulators in registers.

/** Whether a layer's shape fits the row masks: padded rows of at most 64 pixels, two windows' columns in one mask. */
export function fitsWindows(l: usize): bool {
  return lf(l, L.CP) == 4 && lf(l, L.FP) % 16 == 0 && lf(l, L.W) + 2 * lf(l, L.PW) <= 64 && lf(l, L.KW) + lf(l, L.SW) < 64;
}

/** Where the zero-padded copy of the input (CP = 4 floats a position) lies: after the row masks in MASK. */
@inline function paddedAt(l: usize): usize {
  return la(l, L.MASK) + ((<usize>(lf(l, L.H) * lf(l, L.C) * 8) + 15) & ~15);
}

/** Writes the padded copy of the input; returns its address. */
function paddedInput(l: usize): usize {
  const H = lf(l, L.H), W = lf(l, L.W), PH = lf(l, L.PH), PW = lf(l, L.PW);
  const padded = paddedAt(l);
  const paddedRow = <usize>(W + 2 * PW) << 4;
  clear(padded, (H + 2 * PH) * (W + 2 * PW) * 4);
  const inp = la(l, L.IN);
  for (let y = 0; y < H; y++) memory.copy(padded + <usize>(y + PH) * paddedRow + (<usize>PW << 4), inp + (<usize>(y * W) << 4), <usize>W << 4);
  return padded;
}

/**
 * out[oy,ox,f] = b[f] + sum over (c, ky, kx) of in[oy*SH-PH+ky, ox*SW-PW+kx, c] * wf[ky,kx,c,f], two
 * neighbouring outputs at a time (each tap's weights loaded once for both, eight accumulators), the
 * window rows that are all zero in both windows skipped and the others added whole from the padded
 * copy: zeros add exact zeros, so each output's sum is that over its nonzero pixels, in tap order.
 */
export function pairForward(l: usize): void {
  const C = lf(l, L.C), H = lf(l, L.H), W = lf(l, L.W);
  const OH = lf(l, L.OH), OW = lf(l, L.OW), FP = lf(l, L.FP);
  const KH = lf(l, L.KH), KW = lf(l, L.KW), SH = lf(l, L.SH), SW = lf(l, L.SW), PH = lf(l, L.PH), PW = lf(l, L.PW);
  const inp = la(l, L.IN), out = la(l, L.OUT), wf = la(l, L.WF), bp = la(l, L.BP), masks = la(l, L.MASK);
  for (let y = 0; y < H; y++) {
    for (let c = 0; c < C; c++) {
      let m: u64 = 0;
      for (let x = 0; x < W; x++) m |= <u64>(load<f32>(inp + (<usize>(((y * W + x) << 2) + c) << 2)) != 0) << <u64>(x + PW);
      store<u64>(masks + (<usize>(y * C + c) << 3), m);
    }
  }
  const padded = paddedInput(l);
  const paddedRow = <usize>(W + 2 * PW) << 4;
  const kyBytes = <usize>(KW * C * FP) << 2;
  const kxBytes = <usize>(C * FP) << 2;
  const span: u64 = (<u64>1 << <u64>(KW + SW)) - 1; // both windows' columns
  const pairBytes = <usize>SW << 4;
  for (let oy = 0; oy < OH; oy++) {
    const y0 = oy * SH - PH;
    for (let ox = 0; ox < OW; ox += 2) {
      const both = ox + 1 < OW;
      const corner = padded + <usize>(oy * SH) * paddedRow + (<usize>(ox * SW) << 4);
      const o = out + (<usize>((oy * OW + ox) * FP) << 2);
      for (let fb = 0; fb < FP; fb += 16) {
        const b = bp + (<usize>fb << 2);
        let a0 = v128.load(b), a1 = v128.load(b, 16), a2 = v128.load(b, 32), a3 = v128.load(b, 48);
        let b0 = a0, b1 = a1, b2 = a2, b3 = a3;
        for (let c = 0; c < C; c++) {
          for (let ky = 0; ky < KH; ky++) {
            const y = y0 + ky;
            if (<u32>y >= <u32>H) continue;
            if (((load<u64>(masks + (<usize>(y * C + c) << 3)) >> <u64>(ox * SW)) & span) == 0) continue;
            const row = corner + <usize>ky * paddedRow + (<usize>c << 2);
            const w = wf + <usize>ky * kyBytes + (<usize>(c * FP + fb) << 2);
            for (let kx = 0; kx < KW; kx++) {
              const wt = w + <usize>kx * kxBytes;
              const w0 = v128.load(wt), w1 = v128.load(wt, 16), w2 = v128.load(wt, 32), w3 = v128.load(wt, 48);
              const va = v128.load32_splat(row + (<usize>kx << 4));
              const vb = v128.load32_splat(row + (<usize>kx << 4) + pairBytes);
              a0 = madd(va, w0, a0); a1 = madd(va, w1, a1); a2 = madd(va, w2, a2); a3 = madd(va, w3, a3);
              b0 = madd(vb, w0, b0); b1 = madd(vb, w1, b1); b2 = madd(vb, w2, b2); b3 = madd(vb, w3, b3);
            }
          }
        }
        const oa = o + (<usize>fb << 2);
        v128.store(oa, a0); v128.store(oa, a1, 16); v128.store(oa, a2, 32); v128.store(oa, a3, 48);
        if (both) {
          const ob = oa + (<usize>FP << 2);
          v128.store(ob, b0); v128.store(ob, b1, 16); v128.store(ob, b2, 32); v128.store(ob, b3, 48);
        }
      }
    }
  }
}

/**
 * dw[f,c,ky,kx] = sum over outputs of dout[oy,ox,f] * in[oy*SH-PH+ky, ox*SW-PW+kx, c], by taps: the
 * outputs whose 16 gradient lanes are not all zero listed (corner, gradient) in LIST, then for each
 * pair of taps (ky, kx), (ky, kx+1) and channel the listed outputs' terms added in eight
 * accumulators held in registers.
 * Zero pixels add exact zeros, so the sums are those over the nonzero pixels alone, in output order.
 */
export function tapWeightGradient(l: usize, slot: usize): void {
  const C = lf(l, L.C), W = lf(l, L.W);
  const OH = lf(l, L.OH), OW = lf(l, L.OW), FP = lf(l, L.FP);
  const KH = lf(l, L.KH), KW = lf(l, L.KW), SH = lf(l, L.SH), SW = lf(l, L.SW), PW = lf(l, L.PW);
  const dout = la(l, L.DOUT), dws = la(l, L.DWS), list = la(l, L.LIST);
  // The padded copy pairForward made of this sample's input.
  const padded = paddedAt(l);
  const paddedRow = <usize>(W + 2 * PW) << 4;
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
  storeWeightGradient(l, slot);
}
