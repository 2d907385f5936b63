import { addr, cfg, Cfg, ENTRY_BYTES, f32At, FLOAT_BYTES, PAIR_ENTRY_BYTES, POSITION16_BYTES } from './config';
import { madd, storeLanes } from './simd';

// conv1's pixel-pair versions, for 16 filters and stride 1 (the seed's shape):
//   scatterPixelPairs         forward: one read-modify-write of a1 serves two taps;
//   kernelGradientPixelPairs  backward: one load of dout serves two taps.
// A pixel pair (x, x+1) of a row (loadInput's NZP list) meets taps (kx, kx+1) at the same output
// x-kx. conv1 is bound by a1's memory traffic, not by its FMAs, which is why sharing it pays.
// Each row of taps loops over the image rows that reach an output row through it (NZ_ROW, NZP_ROW);
// a pixel whose output column falls outside the grid lands in a1's and da1's margins (config.ts,
// A1) instead of being tested, so the loops have no data-dependent branch; an odd last tap loops
// over the single pixels (NZB). Per MNIST sample (FMA build, trained seed weights), against the
// plain rows of conv1-plain.ts: forward 20.3 -> 10.7 us, kernel gradient 16.6 -> 9.2 us
// (`node dist/bench/research/kernel-phases.js`, phases conv1 fwd and conv1 bwd; docs/kernels.md).

// Tap (ky,kx) of w1p is 16 filters; its right neighbour (ky,kx+1) follows it.
@inline export const TAP_BYTES: usize = 16 * FLOAT_BYTES;

/** Adds sum_{ky,kx} w[f,ky,kx] * x[oy+ky, ox+kx] to a1, which holds the bias. */
export function scatterPixelPairs(c: usize): void {
  const KH = cfg(c, Cfg.KH1);
  const KW = cfg(c, Cfg.KW1);
  const rs = cfg(c, Cfg.RS1);
  const a1 = addr(c, Cfg.A1);
  const w1p = addr(c, Cfg.W1P);
  const nzb = addr(c, Cfg.NZB);
  const nzp = addr(c, Cfg.NZP);
  const OH = cfg(c, Cfg.OH1);
  const rowStart = addr(c, Cfg.NZ_ROW);
  const pairRowStart = addr(c, Cfg.NZP_ROW);
  for (let ky = 0; ky < KH; ky++) {
    // Only image rows ky..ky+OH-1 reach an output row through this tap row.
    const pairs = nzp + <usize>load<i32>(f32At(pairRowStart, ky)) * PAIR_ENTRY_BYTES;
    const pairsEnd = nzp + <usize>load<i32>(f32At(pairRowStart, ky + OH)) * PAIR_ENTRY_BYTES;
    const start = nzb + <usize>load<i32>(f32At(rowStart, ky)) * ENTRY_BYTES;
    const end = nzb + <usize>load<i32>(f32At(rowStart, ky + OH)) * ENTRY_BYTES;
    let kx = 0;
    for (; kx + 2 <= KW; kx += 2) {
      const wTap = w1p + <usize>(ky * KW + kx) * TAP_BYTES;
      const w0 = v128.load(wTap);
      const w1 = v128.load(wTap, 16);
      const w2 = v128.load(wTap, 32);
      const w3 = v128.load(wTap, 48);
      const n0 = v128.load(wTap, TAP_BYTES);
      const n1 = v128.load(wTap, TAP_BYTES + 16);
      const n2 = v128.load(wTap, TAP_BYTES + 32);
      const n3 = v128.load(wTap, TAP_BYTES + 48);
      // Pair (x, x+1) of row y: output (y-ky, x-kx) gets v(x) * w[kx] + v(x+1) * w[kx+1].
      const out = a1 - <usize>(ky * rs + kx) * POSITION16_BYTES;
      for (let pair = pairs; pair < pairsEnd; pair += PAIR_ENTRY_BYTES) {
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
      const wTap = w1p + <usize>(ky * KW + kx) * TAP_BYTES;
      const w0 = v128.load(wTap);
      const w1 = v128.load(wTap, 16);
      const w2 = v128.load(wTap, 32);
      const w3 = v128.load(wTap, 48);
      // Pixel (y,x) of this tap writes output (y-ky, x-kx), at the pixel's own offset minus the tap's.
      const out = a1 - <usize>(ky * rs + kx) * POSITION16_BYTES;
      for (let entry = start; entry < end; entry += ENTRY_BYTES) {
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

/** kern[f,ky,kx] = sum_{oy,ox} dout[oy,ox,f] * x[oy+ky, ox+kx]; outputs outside the grid read da1's zero margins. */
export function kernelGradientPixelPairs(c: usize, slot: usize): void {
  const KH = cfg(c, Cfg.KH1);
  const KW = cfg(c, Cfg.KW1);
  const F = cfg(c, Cfg.F1);
  const rs = cfg(c, Cfg.RS1);
  const da1 = addr(c, Cfg.DA1);
  const nzb = addr(c, Cfg.NZB);
  const nzp = addr(c, Cfg.NZP);
  const OH = cfg(c, Cfg.OH1);
  const rowStart = addr(c, Cfg.NZ_ROW);
  const pairRowStart = addr(c, Cfg.NZP_ROW);
  const kern = f32At(slot, cfg(c, Cfg.O_KERN));
  const fStride = <usize>(KH * KW) * FLOAT_BYTES;
  for (let ky = 0; ky < KH; ky++) {
    // Only image rows ky..ky+OH-1 reach an output row through this tap row.
    const pairs = nzp + <usize>load<i32>(f32At(pairRowStart, ky)) * PAIR_ENTRY_BYTES;
    const pairsEnd = nzp + <usize>load<i32>(f32At(pairRowStart, ky + OH)) * PAIR_ENTRY_BYTES;
    const start = nzb + <usize>load<i32>(f32At(rowStart, ky)) * ENTRY_BYTES;
    const end = nzb + <usize>load<i32>(f32At(rowStart, ky + OH)) * ENTRY_BYTES;
    let kx = 0;
    for (; kx + 2 <= KW; kx += 2) {
      // Pair (x, x+1): kern[:,ky,kx] += v(x) * dout[y-ky, x-kx] and kern[:,ky,kx+1] += v(x+1) * the same.
      const dout = da1 - <usize>(ky * rs + kx) * POSITION16_BYTES;
      let t0 = f32x4.splat(0);
      let t1 = f32x4.splat(0);
      let t2 = f32x4.splat(0);
      let t3 = f32x4.splat(0);
      let n0 = f32x4.splat(0);
      let n1 = f32x4.splat(0);
      let n2 = f32x4.splat(0);
      let n3 = f32x4.splat(0);
      for (let pair = pairs; pair < pairsEnd; pair += PAIR_ENTRY_BYTES) {
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
      const dout = da1 - <usize>(ky * rs + kx) * POSITION16_BYTES;
      let t0 = f32x4.splat(0);
      let t1 = f32x4.splat(0);
      let t2 = f32x4.splat(0);
      let t3 = f32x4.splat(0);
      for (let entry = start; entry < end; entry += ENTRY_BYTES) {
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
