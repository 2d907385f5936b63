import { addr, cfg, Cfg, f32At } from './config';
import { madd, relu4, storeLanes } from './simd';

// conv2's column version, for 8 filters (two f32x4 of lanes), any other shape:
//   columnForward  four output columns per pass share each weight load and run eight independent
//                  accumulator chains; the columns left over go one at a time in four chains.
// One kernel row of a1 (KW2 positions x F1P channels) is contiguous, and so is the matching block of
// w2f: each ky is a single dot-product loop of KW2*F1P steps. With one column per pass the loop
// waited on FMA latency. Per MNIST sample on the seed's shape (FMA build): one column with two
// chains 21.8 us, this version 9.4 us (`node dist/bench/research/kernel-phases.js`, conv2 fwd; the seed's
// shape now takes conv2-scatter.ts, docs/kernels.md).

// The upper four of the 8 filters' lanes, in w2f and in a sum.
@inline const HIGH_LANES: usize = 16;
// One input channel's 8 filter weights in w2f, 32 bytes: channel i at i << WEIGHTS8_SHIFT.
@inline const WEIGHTS8_SHIFT: i32 = 5;
@inline const WEIGHTS8_BYTES: usize = 1 << WEIGHTS8_SHIFT;

/** a2[f,oy,ox] = relu(b[f] + sum_{c,ky,kx} w[f,c,ky,kx] * a1[oy*S2+ky, ox*S2+kx, c]), 8 filters */
export function columnForward(c: usize): void {
  const OH = cfg(c, Cfg.OH2);
  const OW = cfg(c, Cfg.OW2);
  const KH = cfg(c, Cfg.KH2);
  const S = cfg(c, Cfg.S2);
  const RS1 = cfg(c, Cfg.RS1);
  const CP = cfg(c, Cfg.F1P);
  const F = cfg(c, Cfg.F2);
  const rowLen = cfg(c, Cfg.KW2) * CP;
  const a1 = addr(c, Cfg.A1);
  const a2 = addr(c, Cfg.A2);
  const w2f = addr(c, Cfg.W2F);
  const b2p = addr(c, Cfg.B2P);
  const plane = <usize>(OH * OW) << 2;
  const column = <usize>(S * CP) << 2; // bytes from one output column's window to the next
  const b0 = v128.load(b2p);
  const b1 = v128.load(b2p, HIGH_LANES);
  for (let oy = 0; oy < OH; oy++) {
    let ox = 0;
    for (; ox + 4 <= OW; ox += 4) {
      let p0 = b0, q0 = b1, p1 = b0, q1 = b1, p2 = b0, q2 = b1, p3 = b0, q3 = b1;
      for (let ky = 0; ky < KH; ky++) {
        const s0 = f32At(a1, ((oy * S + ky) * RS1 + ox * S) * CP);
        const s1 = s0 + column;
        const s2 = s1 + column;
        const s3 = s2 + column;
        const w = w2f + (<usize>(ky * rowLen) << WEIGHTS8_SHIFT);
        for (let i = 0; i < rowLen; i++) {
          const at = <usize>i << 2;
          const wi = w + (<usize>i << WEIGHTS8_SHIFT);
          const w0 = v128.load(wi);
          const w1 = v128.load(wi, HIGH_LANES);
          let v = v128.load32_splat(s0 + at);
          p0 = madd(v, w0, p0);
          q0 = madd(v, w1, q0);
          v = v128.load32_splat(s1 + at);
          p1 = madd(v, w0, p1);
          q1 = madd(v, w1, q1);
          v = v128.load32_splat(s2 + at);
          p2 = madd(v, w0, p2);
          q2 = madd(v, w1, q2);
          v = v128.load32_splat(s3 + at);
          p3 = madd(v, w0, p3);
          q3 = madd(v, w1, q3);
        }
      }
      const dst = f32At(a2, oy * OW + ox);
      storeLanes(relu4(p0), dst, plane, F);
      storeLanes(relu4(q0), dst + 4 * plane, plane, F - 4);
      storeLanes(relu4(p1), dst + 4, plane, F);
      storeLanes(relu4(q1), dst + 4 + 4 * plane, plane, F - 4);
      storeLanes(relu4(p2), dst + 8, plane, F);
      storeLanes(relu4(q2), dst + 8 + 4 * plane, plane, F - 4);
      storeLanes(relu4(p3), dst + 12, plane, F);
      storeLanes(relu4(q3), dst + 12 + 4 * plane, plane, F - 4);
    }
    // The remaining columns one at a time, with even and odd steps in separate chains (4 in all).
    for (; ox < OW; ox++) {
      let p0 = b0, q0 = b1;
      let p1 = f32x4.splat(0), q1 = f32x4.splat(0);
      for (let ky = 0; ky < KH; ky++) {
        const src = f32At(a1, ((oy * S + ky) * RS1 + ox * S) * CP);
        const w = w2f + (<usize>(ky * rowLen) << WEIGHTS8_SHIFT);
        let i = 0;
        for (; i + 2 <= rowLen; i += 2) {
          const wi = w + (<usize>i << WEIGHTS8_SHIFT);
          const v = v128.load32_splat(f32At(src, i));
          p0 = madd(v, v128.load(wi), p0);
          q0 = madd(v, v128.load(wi, HIGH_LANES), q0);
          const u = v128.load32_splat(f32At(src, i + 1));
          p1 = madd(u, v128.load(wi, WEIGHTS8_BYTES), p1);
          q1 = madd(u, v128.load(wi, WEIGHTS8_BYTES + HIGH_LANES), q1);
        }
        if (i < rowLen) {
          const wi = w + (<usize>i << WEIGHTS8_SHIFT);
          const v = v128.load32_splat(f32At(src, i));
          p0 = madd(v, v128.load(wi), p0);
          q0 = madd(v, v128.load(wi, HIGH_LANES), q0);
        }
      }
      const dst = f32At(a2, oy * OW + ox);
      storeLanes(relu4(f32x4.add(p0, p1)), dst, plane, F);
      storeLanes(relu4(f32x4.add(q0, q1)), dst + 4 * plane, plane, F - 4);
    }
  }
}
