import { la, lf, L } from './stack-config';
import { madd, storeBlock } from './simd';

// The register-blocked forwards of a stack's convolution (stack-conv.ts says when they run), for
// inputs of more than 4 channels behind a ReLU or a pool (stack-conv-list.ts has the backward of
// such layers). Layouts as in stack-conv-plain.ts.
//   blockForward  each output's filter lanes, 16 at a time (8 or 4 for the rest), in accumulators
//                 held in registers through its whole window, walking only the nonzero channels of
//                 each input position (bitmasks made once per call, ctz): about half of a ReLU'd
//                 input is exact zeros, which add only +-0.
//   pairForwardBlocks  blockForward's sums for two outputs at a time, walking the union of their
//                 nonzero channels, each weight vector loaded once for both: opacus-mnist's
//                 conv32k4s2 13.1 -> 10.8 us per MNIST sample, 10.2 -> 8.7 on dilated digits (FMA
//                 build; `node dist/bench/research/stack-phases.js --other <previous build>`).

/** Bit c set where channel c (< CP <= 32) of the position at p is nonzero. */
@inline function nonzeroChannels(p: usize, CP: i32): u32 {
  const zero = f32x4.splat(0);
  let m: u32 = 0;
  for (let g = 0; g < CP; g += 4) m |= <u32>i32x4.bitmask(f32x4.ne(v128.load(p + (<usize>g << 2)), zero)) << g;
  return m;
}

/** MASK[p] = nonzeroChannels of input position p, for every position: made once per call. */
function writeChannelMasks(l: usize): void {
  const CP = lf(l, L.CP), positions = lf(l, L.H) * lf(l, L.W);
  const inp = la(l, L.IN), masks = la(l, L.MASK);
  const positionBytes = <usize>CP << 2;
  for (let p = 0; p < positions; p++) store<u32>(masks + (<usize>p << 2), nonzeroChannels(inp + <usize>p * positionBytes, CP));
}

/** out[oy,ox,f] = b[f] + sum_{ky,kx,c} wf[ky,kx,c,f] * in[oy*SH-PH+ky, ox*SW-PW+kx, c]; CP at most 32. */
export function blockForward(l: usize): void {
  const C = lf(l, L.C), H = lf(l, L.H), W = lf(l, L.W), CP = lf(l, L.CP);
  const OH = lf(l, L.OH), OW = lf(l, L.OW), FP = lf(l, L.FP);
  const KH = lf(l, L.KH), KW = lf(l, L.KW), SH = lf(l, L.SH), SW = lf(l, L.SW), PH = lf(l, L.PH), PW = lf(l, L.PW);
  const out = la(l, L.OUT);
  writeChannelMasks(l);
  // With no padded channels, a window row's positions are one run of channels, in the input as in
  // wf: one mask and one walk per row instead of one per position, whose loop exits mispredict
  // (opacus-mnist's conv32k4s2, with the masks made once per call: 19.5 -> 13.2 us per MNIST
  // sample, FMA build; `node dist/bench/research/stack-phases.js --other <previous build>`).
  const rows = C == CP && KW * CP <= 64;
  for (let oy = 0; oy < OH; oy++) {
    const y0 = oy * SH - PH;
    const kyStart = max(0, -y0), kyEnd = min(KH, H - y0);
    for (let ox = 0; ox < OW; ox++) {
      const x0 = ox * SW - PW;
      const kxStart = max(0, -x0), kxEnd = min(KW, W - x0);
      const o = out + (<usize>((oy * OW + ox) * FP) << 2);
      // Blocks of 16 filter lanes, then one of 8 and one of 4 for the rest (the seed's conv8k4s2,
      // 8 filters: 50 -> 17 us per MNIST sample against the plain version's one chain, FMA build).
      let fb = 0;
      for (; fb + 16 <= FP; fb += 16) blockPass(l, o, fb, 16, y0, x0, kyStart, kyEnd, kxStart, kxEnd, rows);
      if (fb + 8 <= FP) {
        blockPass(l, o, fb, 8, y0, x0, kyStart, kyEnd, kxStart, kxEnd, rows);
        fb += 8;
      }
      if (fb < FP) blockPass(l, o, fb, 4, y0, x0, kyStart, kyEnd, kxStart, kxEnd, rows);
    }
  }
}

/** Whether pairForwardBlocks fits the layer: no padding, no padded channels, whole blocks of 16 filters, a window row's flags in a u64. */
export function fitsPairBlocks(l: usize): bool {
  return lf(l, L.PH) == 0 && lf(l, L.PW) == 0 && lf(l, L.C) == lf(l, L.CP) && lf(l, L.FP) % 16 == 0 && lf(l, L.KW) * lf(l, L.CP) <= 64;
}

/**
 * blockForward two outputs at a time (in row-major order, across rows), each (tap, channel)'s 16
 * weights loaded once for both and the two outputs' lanes in eight accumulators: every window row
 * that is not zero in both windows is walked over the union of their nonzero channels, so each
 * output's sum is blockForward's, term for term (the other output's extra terms add exact zeros).
 */
export function pairForwardBlocks(l: usize): void {
  const C = lf(l, L.C), W = lf(l, L.W), CP = lf(l, L.CP);
  const OH = lf(l, L.OH), OW = lf(l, L.OW), FP = lf(l, L.FP);
  const KH = lf(l, L.KH), KW = lf(l, L.KW), SH = lf(l, L.SH), SW = lf(l, L.SW);
  const inp = la(l, L.IN), out = la(l, L.OUT), masks = la(l, L.MASK), wf = la(l, L.WF), bp = la(l, L.BP);
  const positionBytes = <usize>CP << 2;
  const channelBytes = <usize>FP << 2;
  writeChannelMasks(l);
  const outputs = OH * OW;
  for (let o = 0; o < outputs; o += 2) {
    const both = o + 1 < outputs;
    const oyA = o / OW, oxA = o % OW;
    const oyB = both ? (o + 1) / OW : oyA, oxB = both ? (o + 1) % OW : oxA;
    const firstA = oyA * SH * W + oxA * SW, firstB = oyB * SH * W + oxB * SW;
    for (let fb = 0; fb < FP; fb += 16) {
      const b = bp + (<usize>fb << 2);
      let a0 = v128.load(b), a1 = v128.load(b, 16), a2 = v128.load(b, 32), a3 = v128.load(b, 48);
      let b0 = a0, b1 = a1, b2 = a2, b3 = a3;
      for (let ky = 0; ky < KH; ky++) {
        const rowA = firstA + ky * W, rowB = firstB + ky * W;
        let m: u64 = 0;
        for (let j = 0; j < KW; j++) {
          m |= <u64>(load<u32>(masks + (<usize>(rowA + j) << 2)) | (both ? load<u32>(masks + (<usize>(rowB + j) << 2)) : 0)) << <u64>(j * CP);
        }
        const srcA = inp + <usize>rowA * positionBytes, srcB = inp + <usize>rowB * positionBytes;
        const w = wf + (<usize>(ky * KW * C * FP + fb) << 2);
        while (m != 0) {
          const c = <usize>ctz(m);
          m &= m - 1;
          const wc = w + c * channelBytes;
          const w0 = v128.load(wc), w1 = v128.load(wc, 16), w2 = v128.load(wc, 32), w3 = v128.load(wc, 48);
          const va = v128.load32_splat(srcA + (c << 2));
          const vb = v128.load32_splat(srcB + (c << 2));
          a0 = madd(va, w0, a0); a1 = madd(va, w1, a1); a2 = madd(va, w2, a2); a3 = madd(va, w3, a3);
          b0 = madd(vb, w0, b0); b1 = madd(vb, w1, b1); b2 = madd(vb, w2, b2); b3 = madd(vb, w3, b3);
        }
      }
      const oa = out + (<usize>(o * FP + fb) << 2);
      v128.store(oa, a0); v128.store(oa, a1, 16); v128.store(oa, a2, 32); v128.store(oa, a3, 48);
      if (both) {
        const ob = oa + channelBytes;
        v128.store(ob, b0); v128.store(ob, b1, 16); v128.store(ob, b2, 32); v128.store(ob, b3, 48);
      }
    }
  }
}

/** One output's filter lanes fb..fb+lanes of blockForward; `lanes` (16, 8 or 4) is a constant at each call. */
@inline function blockPass(
  l: usize, o: usize, fb: i32, lanes: i32, y0: i32, x0: i32, kyStart: i32, kyEnd: i32, kxStart: i32, kxEnd: i32, rows: bool,
): void {
  const C = lf(l, L.C), W = lf(l, L.W), CP = lf(l, L.CP), FP = lf(l, L.FP), KW = lf(l, L.KW);
  const inp = la(l, L.IN), wf = la(l, L.WF), masks = la(l, L.MASK);
  const channelBytes = <usize>FP << 2; // from one input channel's weights to the next's
  const positionBytes = <usize>CP << 2;
  const b = la(l, L.BP) + (<usize>fb << 2);
  const zero = f32x4.splat(0);
  let acc0 = v128.load(b);
  let acc1 = lanes >= 8 ? v128.load(b, 16) : zero;
  let acc2 = lanes >= 16 ? v128.load(b, 32) : zero;
  let acc3 = lanes >= 16 ? v128.load(b, 48) : zero;
  for (let ky = kyStart; ky < kyEnd; ky++) {
    const first = (y0 + ky) * W + x0 + kxStart;
    const src = inp + <usize>first * positionBytes;
    const w = wf + (<usize>((ky * KW + kxStart) * C * FP + fb) << 2);
    const count = kxEnd - kxStart;
    if (rows) {
      let m: u64 = 0;
      for (let j = 0; j < count; j++) m |= <u64>load<u32>(masks + (<usize>(first + j) << 2)) << <u64>(j * CP);
      while (m != 0) {
        const c = <usize>ctz(m);
        m &= m - 1;
        const v = v128.load32_splat(src + (c << 2));
        const wc = w + c * channelBytes;
        acc0 = madd(v, v128.load(wc), acc0);
        if (lanes >= 8) acc1 = madd(v, v128.load(wc, 16), acc1);
        if (lanes >= 16) {
          acc2 = madd(v, v128.load(wc, 32), acc2);
          acc3 = madd(v, v128.load(wc, 48), acc3);
        }
      }
      continue;
    }
    for (let k = 0; k < count; k++) {
      let m = load<u32>(masks + (<usize>(first + k) << 2));
      const s = src + <usize>k * positionBytes;
      const wk = w + <usize>(k * C) * channelBytes;
      while (m != 0) {
        const c = <usize>ctz(m);
        m &= m - 1;
        const v = v128.load32_splat(s + (c << 2));
        const wc = wk + c * channelBytes;
        acc0 = madd(v, v128.load(wc), acc0);
        if (lanes >= 8) acc1 = madd(v, v128.load(wc, 16), acc1);
        if (lanes >= 16) {
          acc2 = madd(v, v128.load(wc, 32), acc2);
          acc3 = madd(v, v128.load(wc, 48), acc3);
        }
      }
    }
  }
  storeBlock(o + (<usize>fb << 2), acc0, acc1, acc2, acc3, lanes);
}
