import { la, lf, L } from './stack-config';
import { madd } from './simd';
import { clear, storeWeightGradient } from './stack-conv-plain';

// The scatter versions of a stack's convolution (stack-conv.ts says when they run), over the input's
// nonzero values only: an image is mostly exact zeros (MNIST ~80%), and a zero adds only +-0 terms.
// Input value (y,x,c) meets tap (ky,kx) at output (oy,ox) = ((y+PH-ky)/SH, (x+PW-kx)/SW) when both
// divide evenly and land in the output, so each value adds v * wf[ky,kx,c,:] to the FP lanes of the
// outputs it reaches. Layouts as in stack-conv-plain.ts, with CP = 4 (stack-conv.ts runs these
// only then); dws is (KH,KW,C,FP).

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

/**
 * The loop both versions share: for every nonzero input value v = in[y,x,c] and every output
 * (oy,ox) it reaches through tap (ky,kx), forward adds v * wf[ky,kx,c,:] to out[oy,ox,:], and the
 * weight gradient adds v * dout[oy,ox,:] to dws[ky,kx,c,:]. An input position is one vector (CP
 * is 4), skipped whole when all its channels are zero.
 */
@inline function scatter(l: usize, outputs: usize, taps: usize, forward: bool): void {
  const C = lf(l, L.C), H = lf(l, L.H), W = lf(l, L.W);
  const OH = lf(l, L.OH), OW = lf(l, L.OW), FP = lf(l, L.FP);
  const KH = lf(l, L.KH), KW = lf(l, L.KW), SH = lf(l, L.SH), SW = lf(l, L.SW), PH = lf(l, L.PH), PW = lf(l, L.PW);
  const inp = la(l, L.IN);
  const zero = f32x4.splat(0);
  const outputBytes = <usize>FP << 2; // one output position
  const tapBytes = <usize>(C * FP) << 2; // one tap of wf or dws
  for (let y = 0; y < H; y++) {
    const oyLo = reachLo(y, PH, KH, SH), oyHi = reachHi(y, PH, SH, OH);
    for (let x = 0; x < W; x++) {
      const src = inp + (<usize>((y * W + x) << 2) << 2);
      let m = i32x4.bitmask(f32x4.ne(v128.load(src), zero));
      if (m == 0) continue;
      const oxLo = reachLo(x, PW, KW, SW), oxHi = reachHi(x, PW, SW, OW);
      while (m != 0) {
        const c = ctz(m);
        m &= m - 1;
        const vs = v128.load32_splat(src + (<usize>c << 2));
        for (let oy = oyLo; oy <= oyHi; oy++) {
          const ky = y + PH - oy * SH;
          let kx = x + PW - oxLo * SW;
          let o = <usize>((oy * OW + oxLo) * FP) << 2;
          let t = <usize>(((ky * KW + kx) * C + c) * FP) << 2;
          const tapStep = <usize>SW * tapBytes;
          for (let ox = oxLo; ox <= oxHi; ox++) {
            if (forward) addScaled(outputs + o, taps + t, vs, FP);
            else addScaled(taps + t, outputs + o, vs, FP);
            o += outputBytes;
            t -= tapStep;
          }
        }
      }
    }
  }
}

/** out[oy,ox,f] = b[f] + sum over nonzero in[y,x,c] of in[y,x,c] * wf[y+PH-oy*SH, x+PW-ox*SW, c, f] */
export function scatterForward(l: usize): void {
  const out = la(l, L.OUT), wf = la(l, L.WF), bp = la(l, L.BP);
  const positionBytes = <usize>lf(l, L.FP) << 2;
  for (let p: usize = 0, end = <usize>(lf(l, L.OH) * lf(l, L.OW)) * positionBytes; p < end; p += 16) {
    v128.store(out + p, v128.load(bp + p % positionBytes));
  }
  scatter(l, out, wf, true);
}

/**
 * dw[f,c,ky,kx] = sum over nonzero in[y,x,c] of in[y,x,c] * dout[oy,ox,f], (oy,ox) the outputs the
 * value reaches through tap (ky,kx): summed in dws (KH,KW,C,FP), then written to the slot.
 */
export function scatterWeightGradient(l: usize, slot: usize): void {
  const C = lf(l, L.C), FP = lf(l, L.FP);
  const taps = lf(l, L.KH) * lf(l, L.KW);
  const dout = la(l, L.DOUT), dws = la(l, L.DWS);
  clear(dws, taps * C * FP);
  scatter(l, dout, dws, false);
  storeWeightGradient(l, slot);
}
