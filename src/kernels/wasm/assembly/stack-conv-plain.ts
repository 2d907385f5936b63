import { la, lf, L } from './stack-config';
import { madd, storeLanes } from './simd';

// A stack's convolution, plain versions for any shape (stack-conv.ts lists the others): in is
// (H,W,CP), out and dout (OH,OW,FP), din (H,W,CP); wf is (KH,KW,C,FP) and wb (KH,KW,F,CP), both
// repacked by prepare (stack-prepare.ts); taps in the zero padding are left out, as the reference
// (model/layers/conv.ts) leaves them out.

/** out[oy,ox,f] = b[f] + sum_{ky,kx,c} wf[ky,kx,c,f] * in[oy*SH-PH+ky, ox*SW-PW+kx, c] */
export function convForwardPlain(l: usize): void {
  const C = lf(l, L.C), H = lf(l, L.H), W = lf(l, L.W), CP = lf(l, L.CP);
  const OH = lf(l, L.OH), OW = lf(l, L.OW), FP = lf(l, L.FP);
  const KH = lf(l, L.KH), KW = lf(l, L.KW), SH = lf(l, L.SH), SW = lf(l, L.SW), PH = lf(l, L.PH), PW = lf(l, L.PW);
  const inp = la(l, L.IN), out = la(l, L.OUT), wf = la(l, L.WF), bp = la(l, L.BP);
  for (let oy = 0; oy < OH; oy++) {
    const y0 = oy * SH - PH;
    const kyStart = max(0, -y0), kyEnd = min(KH, H - y0);
    for (let ox = 0; ox < OW; ox++) {
      const x0 = ox * SW - PW;
      const kxStart = max(0, -x0), kxEnd = min(KW, W - x0);
      const o = out + (<usize>((oy * OW + ox) * FP) << 2);
      for (let j = 0; j < FP; j += 4) {
        let acc = v128.load(bp + (<usize>j << 2));
        for (let ky = kyStart; ky < kyEnd; ky++) {
          for (let kx = kxStart; kx < kxEnd; kx++) {
            const src = inp + (<usize>(((y0 + ky) * W + x0 + kx) * CP) << 2);
            const w = wf + (<usize>((ky * KW + kx) * C * FP + j) << 2);
            for (let c = 0; c < C; c++) {
              acc = madd(v128.load32_splat(src + (<usize>c << 2)), v128.load(w + (<usize>(c * FP) << 2)), acc);
            }
          }
        }
        v128.store(o + (<usize>j << 2), acc);
      }
    }
  }
}

/**
 * Differentiates convForwardPlain; writes the weight and bias gradients into the slot (Sequential
 * layout, weight (F,C,KH,KW)) and, when din is wanted, overwrites it.
 *   db[f] = sum_{oy,ox} dout[oy,ox,f]
 *   dw[f,c,ky,kx] = sum_{oy,ox} dout[oy,ox,f] * in[oy*SH-PH+ky, ox*SW-PW+kx, c]
 *   din[oy*SH-PH+ky, ox*SW-PW+kx, c] += wb[ky,kx,f,c] * dout[oy,ox,f]
 */
export function convBackwardPlain(l: usize, slot: usize): void {
  biasGradient(l, slot);
  weightGradientPlain(l, slot);
  inputGradientPlain(l);
}

/** dw[f,c,ky,kx] = sum_{oy,ox} dout[oy,ox,f] * in[oy*SH-PH+ky, ox*SW-PW+kx, c], one lane group of filters at a time. */
export function weightGradientPlain(l: usize, slot: usize): void {
  const C = lf(l, L.C), H = lf(l, L.H), W = lf(l, L.W), CP = lf(l, L.CP);
  const F = lf(l, L.F), OH = lf(l, L.OH), OW = lf(l, L.OW), FP = lf(l, L.FP);
  const KH = lf(l, L.KH), KW = lf(l, L.KW), SH = lf(l, L.SH), SW = lf(l, L.SW), PH = lf(l, L.PH), PW = lf(l, L.PW);
  const inp = la(l, L.IN), dout = la(l, L.DOUT);
  const dw = slot + (<usize>lf(l, L.S_W) << 2);
  const fStride = <usize>(C * KH * KW) << 2;
  for (let ky = 0; ky < KH; ky++) {
    for (let kx = 0; kx < KW; kx++) {
      for (let c = 0; c < C; c++) {
        for (let j = 0; j < FP; j += 4) {
          let acc = f32x4.splat(0);
          for (let oy = 0; oy < OH; oy++) {
            const y = oy * SH - PH + ky;
            if (y < 0 || y >= H) continue;
            for (let ox = 0; ox < OW; ox++) {
              const x = ox * SW - PW + kx;
              if (x < 0 || x >= W) continue;
              const v = v128.load32_splat(inp + (<usize>((y * W + x) * CP + c) << 2));
              acc = madd(v, v128.load(dout + (<usize>((oy * OW + ox) * FP + j) << 2)), acc);
            }
          }
          storeLanes(acc, dw + <usize>j * fStride + (<usize>((c * KH + ky) * KW + kx) << 2), fStride, F - j);
        }
      }
    }
  }
}

/** din[oy*SH-PH+ky, ox*SW-PW+kx, c] += wb[ky,kx,f,c] * dout[oy,ox,f] over the nonzero dout; din is overwritten. */
export function inputGradientPlain(l: usize): void {
  const din = la(l, L.DIN);
  if (din == 0) return;
  const H = lf(l, L.H), W = lf(l, L.W), CP = lf(l, L.CP);
  const F = lf(l, L.F), OH = lf(l, L.OH), OW = lf(l, L.OW), FP = lf(l, L.FP);
  const KH = lf(l, L.KH), KW = lf(l, L.KW), SH = lf(l, L.SH), SW = lf(l, L.SW), PH = lf(l, L.PH), PW = lf(l, L.PW);
  const dout = la(l, L.DOUT);
  clear(din, H * W * CP);
  const wb = la(l, L.WB);
  for (let oy = 0; oy < OH; oy++) {
    const y0 = oy * SH - PH;
    const kyStart = max(0, -y0), kyEnd = min(KH, H - y0);
    for (let ox = 0; ox < OW; ox++) {
      const x0 = ox * SW - PW;
      const kxStart = max(0, -x0), kxEnd = min(KW, W - x0);
      const g0 = dout + (<usize>((oy * OW + ox) * FP) << 2);
      for (let f = 0; f < F; f++) {
        const g = load<f32>(g0 + (<usize>f << 2));
        // Behind a ReLU or a pool most gradients are exactly zero; they add nothing.
        if (g == 0) continue;
        const gv = f32x4.splat(g);
        for (let ky = kyStart; ky < kyEnd; ky++) {
          for (let kx = kxStart; kx < kxEnd; kx++) {
            const d = din + (<usize>(((y0 + ky) * W + x0 + kx) * CP) << 2);
            const w = wb + (<usize>(((ky * KW + kx) * F + f) * CP) << 2);
            for (let j = 0; j < CP; j += 4) {
              const at = <usize>j << 2;
              v128.store(d + at, madd(gv, v128.load(w + at), v128.load(d + at)));
            }
          }
        }
      }
    }
  }
}

/** db[f] = sum over every output position of dout[.,.,f]. */
export function biasGradient(l: usize, slot: usize): void {
  const F = lf(l, L.F), FP = lf(l, L.FP), positions = lf(l, L.OH) * lf(l, L.OW);
  const dout = la(l, L.DOUT);
  const db = slot + (<usize>lf(l, L.S_B) << 2);
  for (let j = 0; j < FP; j += 4) {
    let acc = f32x4.splat(0);
    for (let p = 0; p < positions; p++) acc = f32x4.add(acc, v128.load(dout + (<usize>(p * FP + j) << 2)));
    storeLanes(acc, db + (<usize>j << 2), 4, F - j);
  }
}

/** n floats of +0 from p (n a multiple of 4, p 16-byte aligned). */
export function clear(p: usize, n: i32): void {
  const zero = f32x4.splat(0);
  const end = p + (<usize>n << 2);
  for (let q = p; q < end; q += 16) v128.store(q, zero);
}

/** The weight gradient summed in DWS, (KH,KW,C,FP), into the slot's (F,C,KH,KW) (the scatter and tap versions'). */
export function storeWeightGradient(l: usize, slot: usize): void {
  const C = lf(l, L.C), F = lf(l, L.F), FP = lf(l, L.FP);
  const taps = lf(l, L.KH) * lf(l, L.KW);
  const dws = la(l, L.DWS);
  const dw = slot + (<usize>lf(l, L.S_W) << 2);
  for (let f = 0; f < F; f++) {
    for (let c = 0; c < C; c++) {
      for (let t = 0; t < taps; t++) {
        store<f32>(dw + (<usize>((f * C + c) * taps + t) << 2), load<f32>(dws + (<usize>((t * C + c) * FP + f) << 2)));
      }
    }
  }
}
