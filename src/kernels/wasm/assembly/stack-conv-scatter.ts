import { la, lf, L } from './stack-config';
import { madd } from './simd';
import { clear } from './stack-conv-plain';

// The scatter versions of a stack's convolution (stack-conv.ts says when they run), over the input's
// nonzero values only: an image is mostly exact zeros (MNIST ~80%), and a zero adds only +-0 terms.
// Input value (y,x,c) meets tap (ky,kx) at output (oy,ox) = ((y+PH-ky)/SH, (x+PW-kx)/SW) when both
// divide evenly and land in the output, so each value adds v * wf[ky,kx,c,:] to the FP lanes of the
// outputs it reaches. Layouts as in stack-conv-plain.ts; dws is (KH,KW,C,FP).

/** The outputs [lo, hi] along one axis that input coordinate `at` reaches; hi < lo when none. */
@inline function reachLo(at: i32, pad: i32, kernel: i32, stride: i32): i32 {
  const a = at + pad - kernel + 1;
  return a <= 0 ? 0 : (a + stride - 1) / stride;
}

@inline function reachHi(at: i32, pad: i32, stride: i32, outputs: i32): i32 {
  return min(outputs - 1, (at + pad) / stride);
}

/** p[0:FP] += v * q[0:FP], four vectors unrolled when FP is 16. */
@inline function addScaled(p: usize, q: usize, v: v128, FP: i32): void {
  if (FP == 16) {
    v128.store(p, madd(v, v128.load(q), v128.load(p)));
    v128.store(p, madd(v, v128.load(q, 16), v128.load(p, 16)), 16);
    v128.store(p, madd(v, v128.load(q, 32), v128.load(p, 32)), 32);
    v128.store(p, madd(v, v128.load(q, 48), v128.load(p, 48)), 48);
  } else {
    for (let j: usize = 0, end = <usize>FP << 2; j < end; j += 16) v128.store(p + j, madd(v, v128.load(q + j), v128.load(p + j)));
  }
}

/** out[oy,ox,f] = b[f] + sum over nonzero in[y,x,c] of in[y,x,c] * wf[y+PH-oy*SH, x+PW-ox*SW, c, f] */
export function scatterForward(l: usize): void {
  const C = lf(l, L.C), H = lf(l, L.H), W = lf(l, L.W), CP = lf(l, L.CP);
  const OH = lf(l, L.OH), OW = lf(l, L.OW), FP = lf(l, L.FP);
  const KH = lf(l, L.KH), KW = lf(l, L.KW), SH = lf(l, L.SH), SW = lf(l, L.SW), PH = lf(l, L.PH), PW = lf(l, L.PW);
  const inp = la(l, L.IN), out = la(l, L.OUT), wf = la(l, L.WF), bp = la(l, L.BP);
  const positionBytes = <usize>FP << 2;
  for (let p: usize = 0, end = <usize>(OH * OW) * positionBytes; p < end; p += 16) {
    v128.store(out + p, v128.load(bp + p % positionBytes));
  }
  for (let y = 0; y < H; y++) {
    const oyLo = reachLo(y, PH, KH, SH), oyHi = reachHi(y, PH, SH, OH);
    for (let x = 0; x < W; x++) {
      const oxLo = reachLo(x, PW, KW, SW), oxHi = reachHi(x, PW, SW, OW);
      const src = inp + (<usize>((y * W + x) * CP) << 2);
      for (let c = 0; c < C; c++) {
        const v = load<f32>(src + (<usize>c << 2));
        if (v == 0) continue;
        const vs = f32x4.splat(v);
        for (let oy = oyLo; oy <= oyHi; oy++) {
          const ky = y + PH - oy * SH;
          for (let ox = oxLo; ox <= oxHi; ox++) {
            const kx = x + PW - ox * SW;
            addScaled(out + (<usize>((oy * OW + ox) * FP) << 2), wf + (<usize>(((ky * KW + kx) * C + c) * FP) << 2), vs, FP);
          }
        }
      }
    }
  }
}

/**
 * dw[f,c,ky,kx] = sum over nonzero in[y,x,c] of in[y,x,c] * dout[oy,ox,f], (oy,ox) the outputs the
 * value reaches through tap (ky,kx): summed in dws (KH,KW,C,FP), then written to the slot.
 */
export function scatterWeightGradient(l: usize, slot: usize): void {
  const C = lf(l, L.C), H = lf(l, L.H), W = lf(l, L.W), CP = lf(l, L.CP);
  const F = lf(l, L.F), OH = lf(l, L.OH), OW = lf(l, L.OW), FP = lf(l, L.FP);
  const KH = lf(l, L.KH), KW = lf(l, L.KW), SH = lf(l, L.SH), SW = lf(l, L.SW), PH = lf(l, L.PH), PW = lf(l, L.PW);
  const inp = la(l, L.IN), dout = la(l, L.DOUT), dws = la(l, L.DWS);
  clear(dws, KH * KW * C * FP);
  for (let y = 0; y < H; y++) {
    const oyLo = reachLo(y, PH, KH, SH), oyHi = reachHi(y, PH, SH, OH);
    for (let x = 0; x < W; x++) {
      const oxLo = reachLo(x, PW, KW, SW), oxHi = reachHi(x, PW, SW, OW);
      const src = inp + (<usize>((y * W + x) * CP) << 2);
      for (let c = 0; c < C; c++) {
        const v = load<f32>(src + (<usize>c << 2));
        if (v == 0) continue;
        const vs = f32x4.splat(v);
        for (let oy = oyLo; oy <= oyHi; oy++) {
          const ky = y + PH - oy * SH;
          for (let ox = oxLo; ox <= oxHi; ox++) {
            const kx = x + PW - ox * SW;
            addScaled(dws + (<usize>(((ky * KW + kx) * C + c) * FP) << 2), dout + (<usize>((oy * OW + ox) * FP) << 2), vs, FP);
          }
        }
      }
    }
  }
  const taps = KH * KW;
  const dw = slot + (<usize>lf(l, L.O_W) << 2);
  for (let f = 0; f < F; f++) {
    for (let c = 0; c < C; c++) {
      for (let t = 0; t < taps; t++) {
        store<f32>(dw + (<usize>((f * C + c) * taps + t) << 2), load<f32>(dws + (<usize>((t * C + c) * FP + f) << 2)));
      }
    }
  }
}
