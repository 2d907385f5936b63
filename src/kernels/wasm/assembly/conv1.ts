import { addr, cfg, Cfg, f32At } from './config';
import { madd, mask4, relu4, storeLanes } from './simd';

// conv1 over the single-channel image, channel-last: a1 is (OH1,OW1,F1P) with row stride RS1 and
// margins (config.ts), w1p is (KH1,KW1,F1P) and b1p (F1P), both repacked from kern (F1,KH1,KW1) and
// kb by prepare(). The filters are the f32x4 lanes. The image is read only through loadInput's
// nonzero-pixel lists (scatter form): a pixel v at (y,x) meets tap (ky,kx) at output
// (oy,ox) = ((y-ky)/S1, (x-kx)/S1) when that divides evenly. MNIST is ~80% exact zeros.

/** a1[oy,ox,f] = relu(b[f] + sum_{ky,kx} w[f,ky,kx] * x[oy*S1+ky, ox*S1+kx]) */
export function conv1Forward(c: usize): void {
  const OH = cfg(c, Cfg.OH1);
  const rowFloats = cfg(c, Cfg.OW1) * cfg(c, Cfg.F1P);
  const rowStride = cfg(c, Cfg.RS1) * cfg(c, Cfg.F1P);
  const FP = cfg(c, Cfg.F1P);
  const a1 = addr(c, Cfg.A1);
  const b1p = addr(c, Cfg.B1P);
  if (FP == 16) {
    // Position by position, the four bias vectors in registers.
    const b0 = v128.load(b1p);
    const b1 = v128.load(b1p, 16);
    const b2 = v128.load(b1p, 32);
    const b3 = v128.load(b1p, 48);
    for (let oy = 0; oy < OH; oy++) {
      const row = f32At(a1, oy * rowStride);
      for (let i = 0; i < rowFloats; i += 16) {
        const p = f32At(row, i);
        v128.store(p, b0);
        v128.store(p, b1, 16);
        v128.store(p, b2, 32);
        v128.store(p, b3, 48);
      }
    }
  } else {
    for (let j = 0; j < FP; j += 4) {
      const b = v128.load(f32At(b1p, j));
      for (let oy = 0; oy < OH; oy++) {
        const row = f32At(a1, oy * rowStride);
        for (let i = j; i < rowFloats; i += FP) v128.store(f32At(row, i), b);
      }
    }
  }
  if (FP == 16 && cfg(c, Cfg.S1) == 1) scatterForward16(c);
  else scatterForwardGeneric(c);
  for (let oy = 0; oy < OH; oy++) {
    const row = f32At(a1, oy * rowStride);
    for (let i = 0; i < rowFloats; i += 4) {
      const p = f32At(row, i);
      v128.store(p, relu4(v128.load(p)));
    }
  }
}

// The seed's shape (16 filters, stride 1). One loop per pair of taps (kx, kx+1) over the pixel
// pairs of loadInput: pixel x with tap kx and pixel x+1 with tap kx+1 meet at output x-kx, so one
// read-modify-write of a1 serves both (an odd last tap loops over the single pixels). Pixels whose
// output falls outside the grid write into a1's margins instead of being tested, which keeps the
// loops free of data-dependent branches. The loop is bound by a1's memory traffic, which is why
// pairs pay. Measured per MNIST sample (trained seed weights, bench/kernel-phases.ts): row by row
// over each row's in-range pixels (a mispredicted loop exit per row and tap) 20.3 us; one tap per
// loop over all pixels 16.6 us; pairs 10.7 us. Two taps per loop over single pixels (eight
// accumulators or sixteen vectors in flight) and bands of rows for locality gained nothing.
function scatterForward16(c: usize): void {
  const KH = cfg(c, Cfg.KH1);
  const KW = cfg(c, Cfg.KW1);
  const rs = cfg(c, Cfg.RS1);
  const a1 = addr(c, Cfg.A1);
  const w1p = addr(c, Cfg.W1P);
  const nzb = addr(c, Cfg.NZB);
  const nzp = addr(c, Cfg.NZP);
  const H = cfg(c, Cfg.H);
  const end = nzb + (<usize>load<i32>(f32At(addr(c, Cfg.NZ_ROW), H)) << 3);
  const pairsEnd = nzp + (<usize>load<i32>(f32At(addr(c, Cfg.NZ_ROW), H + 1)) << 4);
  for (let ky = 0; ky < KH; ky++) {
    let kx = 0;
    for (; kx + 2 <= KW; kx += 2) {
      const wTap = w1p + (<usize>(ky * KW + kx) << 6);
      const w0 = v128.load(wTap);
      const w1 = v128.load(wTap, 16);
      const w2 = v128.load(wTap, 32);
      const w3 = v128.load(wTap, 48);
      const n0 = v128.load(wTap, 64);
      const n1 = v128.load(wTap, 80);
      const n2 = v128.load(wTap, 96);
      const n3 = v128.load(wTap, 112);
      // Pair (x, x+1) of row y: output (y-ky, x-kx) gets v(x) * w[kx] + v(x+1) * w[kx+1].
      const out = a1 - (<usize>(ky * rs + kx) << 6);
      for (let pair = nzp; pair < pairsEnd; pair += 16) {
        const o = out + <usize>load<u32>(pair);
        const v = v128.load32_splat(pair, 4);
        const u = v128.load32_splat(pair, 8);
        v128.store(o, madd(u, n0, madd(v, w0, v128.load(o))));
        v128.store(o, madd(u, n1, madd(v, w1, v128.load(o, 16))), 16);
        v128.store(o, madd(u, n2, madd(v, w2, v128.load(o, 32))), 32);
        v128.store(o, madd(u, n3, madd(v, w3, v128.load(o, 48))), 48);
      }
    }
    if (kx < KW) {
      const wTap = w1p + (<usize>(ky * KW + kx) << 6);
      const w0 = v128.load(wTap);
      const w1 = v128.load(wTap, 16);
      const w2 = v128.load(wTap, 32);
      const w3 = v128.load(wTap, 48);
      // Pixel (y,x) of this tap writes output (y-ky, x-kx), at the pixel's own offset minus the tap's.
      const out = a1 - (<usize>(ky * rs + kx) << 6);
      for (let entry = nzb; entry < end; entry += 8) {
        const o = out + <usize>load<u32>(entry);
        const v = v128.load32_splat(entry, 4);
        v128.store(o, madd(v, w0, v128.load(o)));
        v128.store(o, madd(v, w1, v128.load(o, 16)), 16);
        v128.store(o, madd(v, w2, v128.load(o, 32)), 32);
        v128.store(o, madd(v, w3, v128.load(o, 48)), 48);
      }
    }
  }
}

// Any stride and filter count: row by row over each row's pixels that reach an output column.
function scatterForwardGeneric(c: usize): void {
  const OH = cfg(c, Cfg.OH1);
  const KH = cfg(c, Cfg.KH1);
  const KW = cfg(c, Cfg.KW1);
  const S = cfg(c, Cfg.S1);
  const FP = cfg(c, Cfg.F1P);
  const rowStride = cfg(c, Cfg.RS1) * FP;
  const a1 = addr(c, Cfg.A1);
  const w1p = addr(c, Cfg.W1P);
  const nz = addr(c, Cfg.NZ);
  const range = addr(c, Cfg.NZ_RANGE);
  for (let ky = 0; ky < KH; ky++) {
    for (let kx = 0; kx < KW; kx++) {
      const wTap = f32At(w1p, (ky * KW + kx) * FP);
      for (let oy = 0; oy < OH; oy++) {
        const r = range + (<usize>((oy * S + ky) * KW + kx) << 3);
        const hi = load<i32>(r, 4);
        const rowOut = f32At(a1, oy * rowStride);
        for (let e = load<i32>(r); e < hi; e++) {
          const entry = nz + (<usize>e << 3);
          const d = load<i32>(entry) - kx;
          const ox = d / S;
          if (ox * S != d) continue;
          const o = f32At(rowOut, ox * FP);
          const v = v128.load32_splat(entry, 4);
          for (let j = 0; j < FP; j += 4) {
            const p = f32At(o, j);
            v128.store(p, madd(v, v128.load(f32At(wTap, j)), v128.load(p)));
          }
        }
      }
    }
  }
}

/**
 * Differentiates conv1Forward; writes (not accumulates) kern and kb of the gradient slot.
 * da1 is as conv2Backward left it; the ReLU mask is applied here, in place.
 *   kb[f] = sum_{oy,ox} dout[oy,ox,f]
 *   kern[f,ky,kx] = sum_{oy,ox} dout[oy,ox,f] * x[oy*S1+ky, ox*S1+kx]   (nonzero pixels only)
 */
export function conv1Backward(c: usize, slot: usize): void {
  const OH = cfg(c, Cfg.OH1);
  const F = cfg(c, Cfg.F1);
  const FP = cfg(c, Cfg.F1P);
  const rowFloats = cfg(c, Cfg.OW1) * FP;
  const rowStride = cfg(c, Cfg.RS1) * FP;
  const a1 = addr(c, Cfg.A1);
  const da1 = addr(c, Cfg.DA1);
  const kb = f32At(slot, cfg(c, Cfg.O_KB));
  if (FP == 16) {
    // One pass, position by position, with the four bias sums in registers (one pass per lane
    // group, each touching every position: 1.1 us per sample more).
    let b0 = f32x4.splat(0);
    let b1 = f32x4.splat(0);
    let b2 = f32x4.splat(0);
    let b3 = f32x4.splat(0);
    for (let oy = 0; oy < OH; oy++) {
      const rowA = f32At(a1, oy * rowStride);
      const rowD = f32At(da1, oy * rowStride);
      for (let i = 0; i < rowFloats; i += 16) {
        const a = f32At(rowA, i);
        const p = f32At(rowD, i);
        const d0 = mask4(v128.load(p), v128.load(a));
        const d1 = mask4(v128.load(p, 16), v128.load(a, 16));
        const d2 = mask4(v128.load(p, 32), v128.load(a, 32));
        const d3 = mask4(v128.load(p, 48), v128.load(a, 48));
        v128.store(p, d0);
        v128.store(p, d1, 16);
        v128.store(p, d2, 32);
        v128.store(p, d3, 48);
        b0 = f32x4.add(b0, d0);
        b1 = f32x4.add(b1, d1);
        b2 = f32x4.add(b2, d2);
        b3 = f32x4.add(b3, d3);
      }
    }
    storeLanes(b0, kb, 4, F);
    storeLanes(b1, kb + 16, 4, F - 4);
    storeLanes(b2, kb + 32, 4, F - 8);
    storeLanes(b3, kb + 48, 4, F - 12);
  } else {
    for (let j = 0; j < FP; j += 4) {
      let bias = f32x4.splat(0);
      for (let oy = 0; oy < OH; oy++) {
        for (let i = oy * rowStride + j; i < oy * rowStride + rowFloats; i += FP) {
          const p = f32At(da1, i);
          const d = mask4(v128.load(p), v128.load(f32At(a1, i)));
          v128.store(p, d);
          bias = f32x4.add(bias, d);
        }
      }
      storeLanes(bias, f32At(kb, j), 4, F - j);
    }
  }
  if (FP == 16 && cfg(c, Cfg.S1) == 1) kernelGradient16(c, slot);
  else kernelGradientGeneric(c, slot);
}

// Pixel pairs as in scatterForward16: each load of dout serves taps kx and kx+1. Outputs outside
// the grid read da1's margins, which are zero. Row by row: 16.6 us per sample; one tap per loop
// over all pixels: 14.7 us (13.5 with the one-pass mask); pairs: 9.2 us.
function kernelGradient16(c: usize, slot: usize): void {
  const KH = cfg(c, Cfg.KH1);
  const KW = cfg(c, Cfg.KW1);
  const F = cfg(c, Cfg.F1);
  const rs = cfg(c, Cfg.RS1);
  const da1 = addr(c, Cfg.DA1);
  const nzb = addr(c, Cfg.NZB);
  const nzp = addr(c, Cfg.NZP);
  const H = cfg(c, Cfg.H);
  const end = nzb + (<usize>load<i32>(f32At(addr(c, Cfg.NZ_ROW), H)) << 3);
  const pairsEnd = nzp + (<usize>load<i32>(f32At(addr(c, Cfg.NZ_ROW), H + 1)) << 4);
  const kern = f32At(slot, cfg(c, Cfg.O_KERN));
  const fStride = <usize>(KH * KW) << 2;
  for (let ky = 0; ky < KH; ky++) {
    let kx = 0;
    for (; kx + 2 <= KW; kx += 2) {
      // Pair (x, x+1): kern[:,ky,kx] += v(x) * dout[y-ky, x-kx] and kern[:,ky,kx+1] += v(x+1) * the same.
      const dout = da1 - (<usize>(ky * rs + kx) << 6);
      let t0 = f32x4.splat(0);
      let t1 = f32x4.splat(0);
      let t2 = f32x4.splat(0);
      let t3 = f32x4.splat(0);
      let n0 = f32x4.splat(0);
      let n1 = f32x4.splat(0);
      let n2 = f32x4.splat(0);
      let n3 = f32x4.splat(0);
      for (let pair = nzp; pair < pairsEnd; pair += 16) {
        const d = dout + <usize>load<u32>(pair);
        const v = v128.load32_splat(pair, 4);
        const u = v128.load32_splat(pair, 8);
        const d0 = v128.load(d);
        t0 = madd(v, d0, t0);
        n0 = madd(u, d0, n0);
        const d1 = v128.load(d, 16);
        t1 = madd(v, d1, t1);
        n1 = madd(u, d1, n1);
        const d2 = v128.load(d, 32);
        t2 = madd(v, d2, t2);
        n2 = madd(u, d2, n2);
        const d3 = v128.load(d, 48);
        t3 = madd(v, d3, t3);
        n3 = madd(u, d3, n3);
      }
      storeTapGradient(t0, t1, t2, t3, f32At(kern, ky * KW + kx), fStride, F);
      storeTapGradient(n0, n1, n2, n3, f32At(kern, ky * KW + kx + 1), fStride, F);
    }
    if (kx < KW) {
      const dout = da1 - (<usize>(ky * rs + kx) << 6);
      let t0 = f32x4.splat(0);
      let t1 = f32x4.splat(0);
      let t2 = f32x4.splat(0);
      let t3 = f32x4.splat(0);
      for (let entry = nzb; entry < end; entry += 8) {
        const d = dout + <usize>load<u32>(entry);
        const v = v128.load32_splat(entry, 4);
        t0 = madd(v, v128.load(d), t0);
        t1 = madd(v, v128.load(d, 16), t1);
        t2 = madd(v, v128.load(d, 32), t2);
        t3 = madd(v, v128.load(d, 48), t3);
      }
      storeTapGradient(t0, t1, t2, t3, f32At(kern, ky * KW + kx), fStride, F);
    }
  }
}

/** One tap's 16 filter gradients into kern (F1,KH1,KW1): filter f at dst + f * fStride. */
@inline function storeTapGradient(a0: v128, a1: v128, a2: v128, a3: v128, dst: usize, fStride: usize, F: i32): void {
  storeLanes(a0, dst, fStride, F);
  storeLanes(a1, dst + 4 * fStride, fStride, F - 4);
  storeLanes(a2, dst + 8 * fStride, fStride, F - 8);
  storeLanes(a3, dst + 12 * fStride, fStride, F - 12);
}

function kernelGradientGeneric(c: usize, slot: usize): void {
  const OH = cfg(c, Cfg.OH1);
  const KH = cfg(c, Cfg.KH1);
  const KW = cfg(c, Cfg.KW1);
  const S = cfg(c, Cfg.S1);
  const F = cfg(c, Cfg.F1);
  const FP = cfg(c, Cfg.F1P);
  const rowStride = cfg(c, Cfg.RS1) * FP;
  const da1 = addr(c, Cfg.DA1);
  const nz = addr(c, Cfg.NZ);
  const range = addr(c, Cfg.NZ_RANGE);
  const kern = f32At(slot, cfg(c, Cfg.O_KERN));
  const fStride = <usize>(KH * KW) << 2;
  for (let j = 0; j < FP; j += 4) {
    for (let ky = 0; ky < KH; ky++) {
      for (let kx = 0; kx < KW; kx++) {
        let acc = f32x4.splat(0);
        for (let oy = 0; oy < OH; oy++) {
          const r = range + (<usize>((oy * S + ky) * KW + kx) << 3);
          const hi = load<i32>(r, 4);
          const rowD = f32At(da1, oy * rowStride + j);
          for (let e = load<i32>(r); e < hi; e++) {
            const entry = nz + (<usize>e << 3);
            const d = load<i32>(entry) - kx;
            const ox = d / S;
            if (ox * S != d) continue;
            acc = madd(v128.load32_splat(entry, 4), v128.load(f32At(rowD, ox * FP)), acc);
          }
        }
        storeLanes(acc, f32At(kern, (j * KH + ky) * KW + kx), fStride, F - j);
      }
    }
  }
}
