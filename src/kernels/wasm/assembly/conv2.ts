import { addr, cfg, Cfg, f32At } from './config';
import { hsum, madd, relu4, storeLanes } from './simd';

// conv2 over conv1's channel-last output a1 (OH1,OW1,F1P), row stride RS1 (config.ts).
// Forward: the filters are the lanes, with w2f (KH2,KW2,F1P,F2P) from prepare(); a2 is written
// channel-first (F2,OH2,OW2), the seed's flattening, so the dense layer reads the parameters as
// they are.
// Backward: the input channels are the lanes, with w2b (KH2,KW2,F2,F1P).

/** a2[f,oy,ox] = relu(b[f] + sum_{c,ky,kx} w[f,c,ky,kx] * a1[oy*S2+ky, ox*S2+kx, c]) */
export function conv2Forward(c: usize): void {
  if (cfg(c, Cfg.F2P) != 8) forwardGeneric(c);
  else if (cfg(c, Cfg.F1P) == 16 && cfg(c, Cfg.KH2) == 4 && cfg(c, Cfg.KW2) == 4 && cfg(c, Cfg.S2) == 2) scatterForward8(c);
  else forward8(c);
}

// The seed's shape (16 channels, 4x4 taps, stride 2, 8 filters), in scatter form over a1's nonzero
// values (about half of a1 is ReLU's exact zeros; skipping them only drops +-0 terms). a1 is read
// in blocks of 2x2 positions, block (Y,X) at a1 (2Y, 2X): with a kernel two strides wide, each
// position of a block meets outputs (Y,X), (Y,X-1), (Y-1,X) and (Y-1,X-1), through taps
// (ky+2dy, kx+2dx) where (ky,kx) is its place in the block and (dy,dx) the output's offset. So one
// splat of a value feeds 8 FMAs (4 outputs x 2 lane groups) into accumulators that stay in
// registers for the whole block, and the block's 64 nonzero flags (one compare per 4 channels,
// narrowed to a bitmask) are walked with ctz. Blocks on the grid's edge feed only the outputs
// inside it (two, or one in a corner), and take a loop with 4 accumulators. The sums collect in
// ACC2, (OH,OW+2,8) with margin columns for outputs -1 and OW (the corners' second output), then
// bias, ReLU, a2. Measured per MNIST sample (FMA build, trained seed weights): forward8 9.5 us;
// this loop over every block 8.8; edge blocks with two outputs 8.0; background blocks from
// precomputed sums (below) 7.4. An entry costs ~8 cycles: its 9 vector loads and 8 FMAs share
// about two issue slots a cycle on this machine (halving the FMAs alone saved only 4%), so the
// dense form's 6 loads per 8 FMAs keep it close; what pays is the skipped entries.
function scatterForward8(c: usize): void {
  const OH = cfg(c, Cfg.OH2);
  const OW = cfg(c, Cfg.OW2);
  const RS1 = cfg(c, Cfg.RS1);
  const F = cfg(c, Cfg.F2);
  const a1 = addr(c, Cfg.A1);
  const a2 = addr(c, Cfg.A2);
  const w2f = addr(c, Cfg.W2F);
  const b2p = addr(c, Cfg.B2P);
  const acc = addr(c, Cfg.ACC2);
  const rowBytes = <usize>RS1 << 6; // one a1 row
  const accRow = <usize>(OW + 2) << 5; // one ACC2 row: outputs -1..OW of 8 floats
  const zero = f32x4.splat(0);
  const accEnd = acc + <usize>OH * accRow;
  for (let p = acc; p < accEnd; p += 16) v128.store(p, zero);
  // Background: where conv1's window held no nonzero pixel, a1 is exactly relu(b1), so a block of
  // four such positions adds the same sums to its four outputs every time. They are computed once
  // here (BG2: quadrant (dy,dx) at 32 * (2dy+dx) bytes, then relu(b1) at 128); a block whose
  // nonzero flags are the background's is compared with it bitwise, and if equal takes the sums
  // (exact for whatever a1 holds there: the sums are of those very values). In MNIST, 16% of the
  // entries are in such blocks; background positions in other blocks are only 4% more.
  const bg = addr(c, Cfg.BG2);
  const b1p = addr(c, Cfg.B1P);
  const g0 = relu4(v128.load(b1p));
  const g1 = relu4(v128.load(b1p, 16));
  const g2 = relu4(v128.load(b1p, 32));
  const g3 = relu4(v128.load(b1p, 48));
  v128.store(bg, g0, 128);
  v128.store(bg, g1, 144);
  v128.store(bg, g2, 160);
  v128.store(bg, g3, 176);
  const bgMask = <u64>nonzero16(g0, g1, g2, g3) * 0x0001_0001_0001_0001;
  {
    let p00 = zero, q00 = zero, p01 = zero, q01 = zero, p10 = zero, q10 = zero, p11 = zero, q11 = zero;
    for (let t: usize = 0; t < 64; t++) {
      const v = v128.load32_splat(bg + 128 + ((t & 15) << 2));
      const w = w2f + ((t & 31) << 5) + (t >> 5 << 11);
      p00 = madd(v, v128.load(w), p00);
      q00 = madd(v, v128.load(w, 16), q00);
      p01 = madd(v, v128.load(w, 1024), p01);
      q01 = madd(v, v128.load(w, 1040), q01);
      p10 = madd(v, v128.load(w, 4096), p10);
      q10 = madd(v, v128.load(w, 4112), q10);
      p11 = madd(v, v128.load(w, 5120), p11);
      q11 = madd(v, v128.load(w, 5136), q11);
    }
    v128.store(bg, p00);
    v128.store(bg, q00, 16);
    v128.store(bg, p01, 32);
    v128.store(bg, q01, 48);
    v128.store(bg, p10, 64);
    v128.store(bg, q10, 80);
    v128.store(bg, p11, 96);
    v128.store(bg, q11, 112);
  }
  // Edge rows Y = 0 (outputs (0,X), (0,X-1)) and Y = OH (outputs (OH-1,X), (OH-1,X-1)).
  const lastRow = a1 + <usize>(OH << 1) * rowBytes;
  const lastAcc = acc + <usize>(OH - 1) * accRow;
  for (let X = 0; X <= OW; X++) {
    const xo = <usize>X << 5;
    scatterTwo(a1 + (<usize>X << 7), rowBytes, bgMask, bg, 0, 32, w2f, w2f + 1024, acc + xo + 32, acc + xo);
    scatterTwo(lastRow + (<usize>X << 7), rowBytes, bgMask, bg, 64, 96, w2f + 4096, w2f + 5120, lastAcc + xo + 32, lastAcc + xo);
  }
  // Edge columns X = 0 (outputs (Y,0), (Y-1,0)) and X = OW (outputs (Y,OW-1), (Y-1,OW-1)).
  const lastColumn = <usize>OW << 7;
  const lastColumnAcc = <usize>OW << 5;
  for (let Y = 1; Y < OH; Y++) {
    const blockRow = a1 + <usize>(Y << 1) * rowBytes;
    const up = acc + <usize>(Y - 1) * accRow;
    scatterTwo(blockRow, rowBytes, bgMask, bg, 0, 64, w2f, w2f + 4096, up + accRow + 32, up + 32);
    scatterTwo(blockRow + lastColumn, rowBytes, bgMask, bg, 32, 96, w2f + 1024, w2f + 5120, up + accRow + lastColumnAcc, up + lastColumnAcc);
  }
  // Interior blocks, in one loop rather than nested row and column loops: V8 unrolls small inner
  // loops by a count that grows with their nesting depth, and the unrolled copy of the entry loop
  // spilled an accumulator (a store-to-load round trip on its chain every other entry).
  let X = 1;
  let blockRow = a1 + (rowBytes << 1);
  let up = acc; // ACC2 of output (Y-1, -1)
  for (let b = 0, blocks = (OH - 1) * (OW - 1); b < blocks; b++) {
    const block = blockRow + (<usize>X << 7);
    // Bit t: position (t >> 5, (t >> 4) & 1) of the block, channel t & 15.
    let m: u64 = <u64>nonzero32(block) | (<u64>nonzero32(block + rowBytes) << 32);
    let p00 = zero, q00 = zero, p01 = zero, q01 = zero, p10 = zero, q10 = zero, p11 = zero, q11 = zero;
    if (m == bgMask && isBackground(block, rowBytes, bg)) {
      m = 0;
      p00 = v128.load(bg);
      q00 = v128.load(bg, 16);
      p01 = v128.load(bg, 32);
      q01 = v128.load(bg, 48);
      p10 = v128.load(bg, 64);
      q10 = v128.load(bg, 80);
      p11 = v128.load(bg, 96);
      q11 = v128.load(bg, 112);
    }
    while (m != 0) {
      const t = <usize>ctz(m);
      m &= m - 1;
      const low = t & 31;
      const v = v128.load32_splat(block + (low << 2) + ((<usize>0 - (t >> 5)) & rowBytes));
      // w2f (ky,kx,c,f): +2048 bytes per ky, +512 per kx, +32 per channel; (dy,dx) = +4096, +1024.
      const w = w2f + (low << 5) + (t >> 5 << 11);
      p00 = madd(v, v128.load(w), p00);
      q00 = madd(v, v128.load(w, 16), q00);
      p01 = madd(v, v128.load(w, 1024), p01);
      q01 = madd(v, v128.load(w, 1040), q01);
      p10 = madd(v, v128.load(w, 4096), p10);
      q10 = madd(v, v128.load(w, 4112), q10);
      p11 = madd(v, v128.load(w, 5120), p11);
      q11 = madd(v, v128.load(w, 5136), q11);
    }
    const o = up + (<usize>X << 5);
    addTo(o, p11, q11);
    addTo(o + 32, p10, q10);
    addTo(o + accRow, p01, q01);
    addTo(o + accRow + 32, p00, q00);
    if (++X == OW) {
      X = 1;
      blockRow += rowBytes << 1;
      up += accRow;
    }
  }
  const b0 = v128.load(b2p);
  const b1 = v128.load(b2p, 16);
  const plane = <usize>(OH * OW) << 2;
  for (let oy = 0; oy < OH; oy++) {
    const row = acc + <usize>oy * accRow + 32;
    for (let ox = 0; ox < OW; ox++) {
      const s = row + (<usize>ox << 5);
      const dst = f32At(a2, oy * OW + ox);
      storeLanes(relu4(f32x4.add(v128.load(s), b0)), dst, plane, F);
      storeLanes(relu4(f32x4.add(v128.load(s, 16), b1)), dst + 4 * plane, plane, F - 4);
    }
  }
}

/** One edge block of scatterForward8: its nonzero values into two outputs, weights at wa and wb. */
@inline function scatterTwo(block: usize, rowBytes: usize, bgMask: u64, bg: usize, bga: usize, bgb: usize, wa: usize, wb: usize, oa: usize, ob: usize): void {
  let m: u64 = <u64>nonzero32(block) | (<u64>nonzero32(block + rowBytes) << 32);
  let pa = f32x4.splat(0), qa = f32x4.splat(0), pb = f32x4.splat(0), qb = f32x4.splat(0);
  if (m == bgMask && isBackground(block, rowBytes, bg)) {
    m = 0;
    pa = v128.load(bg + bga);
    qa = v128.load(bg + bga, 16);
    pb = v128.load(bg + bgb);
    qb = v128.load(bg + bgb, 16);
  }
  while (m != 0) {
    const t = <usize>ctz(m);
    m &= m - 1;
    const low = t & 31;
    const v = v128.load32_splat(block + (low << 2) + ((<usize>0 - (t >> 5)) & rowBytes));
    const w = (low << 5) + (t >> 5 << 11);
    pa = madd(v, v128.load(wa + w), pa);
    qa = madd(v, v128.load(wa + w, 16), qa);
    pb = madd(v, v128.load(wb + w), pb);
    qb = madd(v, v128.load(wb + w, 16), qb);
  }
  addTo(oa, pa, qa);
  addTo(ob, pb, qb);
}

/** Bit i set where channel i of the two adjacent 16-channel positions at p (i < 32) is nonzero. */
@inline function nonzero32(p: usize): u32 {
  return nonzero16(v128.load(p), v128.load(p, 16), v128.load(p, 32), v128.load(p, 48)) |
    (nonzero16(v128.load(p, 64), v128.load(p, 80), v128.load(p, 96), v128.load(p, 112)) << 16);
}

/** Bit i set where lane i of the 16 lanes a, b, c, d is nonzero. */
@inline function nonzero16(a: v128, b: v128, c: v128, d: v128): u32 {
  const zero = f32x4.splat(0);
  const n = i8x16.narrow_i16x8_s(
    i16x8.narrow_i32x4_s(f32x4.ne(a, zero), f32x4.ne(b, zero)),
    i16x8.narrow_i32x4_s(f32x4.ne(c, zero), f32x4.ne(d, zero)),
  );
  return <u32>i8x16.bitmask(n);
}

/** Whether the block's four positions all hold conv1's background values, bitwise (BG2 + 128). */
@inline function isBackground(block: usize, rowBytes: usize, bg: usize): bool {
  return i32x4.all_true(v128.and(
    v128.and(sameAsBackground(block, bg), sameAsBackground(block + 64, bg)),
    v128.and(sameAsBackground(block + rowBytes, bg), sameAsBackground(block + rowBytes + 64, bg)),
  ));
}

@inline function sameAsBackground(p: usize, bg: usize): v128 {
  return v128.and(
    v128.and(i32x4.eq(v128.load(p), v128.load(bg, 128)), i32x4.eq(v128.load(p, 16), v128.load(bg, 144))),
    v128.and(i32x4.eq(v128.load(p, 32), v128.load(bg, 160)), i32x4.eq(v128.load(p, 48), v128.load(bg, 176))),
  );
}

@inline function addTo(p: usize, lo: v128, hi: v128): void {
  v128.store(p, f32x4.add(v128.load(p), lo));
  v128.store(p, f32x4.add(v128.load(p, 16), hi), 16);
}

// One kernel row of a1 (KW2 positions x F1P channels) is contiguous, and so is the matching block
// of w2f: each (ky) is a single dot-product loop of KW2*F1P steps. Four output columns at a time
// share each weight load and give eight independent accumulator chains; with one column (two
// chains) the loop waited on FMA latency: 21.8 us per MNIST sample with FMA, 17.6 without;
// four columns and a two-chain remainder column: 9.4 us and 11.2 us.
function forward8(c: usize): void {
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
  const b1 = v128.load(b2p, 16);
  for (let oy = 0; oy < OH; oy++) {
    let ox = 0;
    for (; ox + 4 <= OW; ox += 4) {
      let p0 = b0, q0 = b1, p1 = b0, q1 = b1, p2 = b0, q2 = b1, p3 = b0, q3 = b1;
      for (let ky = 0; ky < KH; ky++) {
        const s0 = f32At(a1, ((oy * S + ky) * RS1 + ox * S) * CP);
        const s1 = s0 + column;
        const s2 = s1 + column;
        const s3 = s2 + column;
        const w = w2f + (<usize>(ky * rowLen) << 5);
        for (let i = 0; i < rowLen; i++) {
          const at = <usize>i << 2;
          const wi = w + (<usize>i << 5);
          const w0 = v128.load(wi);
          const w1 = v128.load(wi, 16);
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
        const w = w2f + (<usize>(ky * rowLen) << 5);
        let i = 0;
        for (; i + 2 <= rowLen; i += 2) {
          const wi = w + (<usize>i << 5);
          const v = v128.load32_splat(f32At(src, i));
          p0 = madd(v, v128.load(wi), p0);
          q0 = madd(v, v128.load(wi, 16), q0);
          const u = v128.load32_splat(f32At(src, i + 1));
          p1 = madd(u, v128.load(wi, 32), p1);
          q1 = madd(u, v128.load(wi, 48), q1);
        }
        if (i < rowLen) {
          const wi = w + (<usize>i << 5);
          const v = v128.load32_splat(f32At(src, i));
          p0 = madd(v, v128.load(wi), p0);
          q0 = madd(v, v128.load(wi, 16), q0);
        }
      }
      const dst = f32At(a2, oy * OW + ox);
      storeLanes(relu4(f32x4.add(p0, p1)), dst, plane, F);
      storeLanes(relu4(f32x4.add(q0, q1)), dst + 4 * plane, plane, F - 4);
    }
  }
}

function forwardGeneric(c: usize): void {
  const OH = cfg(c, Cfg.OH2);
  const OW = cfg(c, Cfg.OW2);
  const KH = cfg(c, Cfg.KH2);
  const S = cfg(c, Cfg.S2);
  const RS1 = cfg(c, Cfg.RS1);
  const CP = cfg(c, Cfg.F1P);
  const F = cfg(c, Cfg.F2);
  const FP = cfg(c, Cfg.F2P);
  const rowLen = cfg(c, Cfg.KW2) * CP;
  const a1 = addr(c, Cfg.A1);
  const a2 = addr(c, Cfg.A2);
  const w2f = addr(c, Cfg.W2F);
  const b2p = addr(c, Cfg.B2P);
  const plane = <usize>(OH * OW) << 2;
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      for (let j = 0; j < FP; j += 4) {
        let acc = v128.load(f32At(b2p, j));
        for (let ky = 0; ky < KH; ky++) {
          const src = f32At(a1, ((oy * S + ky) * RS1 + ox * S) * CP);
          const w = f32At(w2f, ky * rowLen * FP + j);
          for (let i = 0; i < rowLen; i++) {
            acc = madd(v128.load32_splat(f32At(src, i)), v128.load(f32At(w, i * FP)), acc);
          }
        }
        storeLanes(relu4(acc), f32At(a2, oy * OW + ox) + <usize>j * plane, plane, F - j);
      }
    }
  }
}

/**
 * Differentiates conv2Forward; writes kern2 and kb2 of the gradient slot and overwrites da1
 * (OH1,OW1,F1P; its margins are never written, so they stay zero) with the gradient of conv1's
 * ReLU output (conv1Backward applies conv1's ReLU mask).
 * da2 is (F2,OH2,OW2), already masked by conv2's ReLU. After that mask most of it is exactly zero,
 * so each filter's nonzero entries are first gathered into LIST as (a1 byte offset of the window's
 * corner, g), and only those are visited:
 *   kb2[f] = sum g
 *   kern2[f,c,ky,kx] = sum g * a1[corner + (ky,kx), c]
 *   da1[corner + (ky,kx), c] += w[f,c,ky,kx] * g
 */
export function conv2Backward(c: usize, slot: usize): void {
  const OH = cfg(c, Cfg.OH2);
  const OW = cfg(c, Cfg.OW2);
  const KH = cfg(c, Cfg.KH2);
  const KW = cfg(c, Cfg.KW2);
  const S = cfg(c, Cfg.S2);
  const RS1 = cfg(c, Cfg.RS1);
  const C = cfg(c, Cfg.F1);
  const CP = cfg(c, Cfg.F1P);
  const F = cfg(c, Cfg.F2);
  const a1 = addr(c, Cfg.A1);
  const da1 = addr(c, Cfg.DA1);
  const da2 = addr(c, Cfg.DA2);
  const w2b = addr(c, Cfg.W2B);
  const list = addr(c, Cfg.LIST);
  const kern2 = f32At(slot, cfg(c, Cfg.O_KERN2));
  const kb2 = f32At(slot, cfg(c, Cfg.O_KB2));
  const zero = f32x4.splat(0);
  const rowFloats = cfg(c, Cfg.OW1) * CP;
  for (let y = 0; y < cfg(c, Cfg.OH1); y++) {
    const row = f32At(da1, y * RS1 * CP);
    for (let i = 0; i < rowFloats; i += 4) v128.store(f32At(row, i), zero);
  }
  const cStride = <usize>(KH * KW) << 2;
  const positionBytes = <usize>CP << 2;
  // Taps kx and kx+S pair up when the kernel is two strides wide (the seed's 4 wide, stride 2),
  // and a1's left margin holds the window one stride left of column 0.
  const pairable = CP == 16 && KW == 2 * S && cfg(c, Cfg.KW1) - 1 >= S;
  for (let f = 0; f < F; f++) {
    if (pairable) {
      pairBackward16(c, f, slot);
      continue;
    }
    let n = 0;
    let bias: f32 = 0;
    const g2 = f32At(da2, f * OH * OW);
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const g = load<f32>(f32At(g2, oy * OW + ox));
        const entry = list + (<usize>n << 3);
        store<u32>(entry, <u32>((oy * S * RS1 + ox * S) * CP) << 2);
        store<f32>(entry, g, 4);
        n += i32(g != 0);
        bias += g;
      }
    }
    store<f32>(f32At(kb2, f), bias);
    for (let ky = 0; ky < KH; ky++) {
      for (let kx = 0; kx < KW; kx++) {
        const tap = <usize>(ky * RS1 + kx) * positionBytes;
        const w = f32At(w2b, ((ky * KW + kx) * F + f) * CP);
        const dst = f32At(kern2, (f * C * KH + ky) * KW + kx);
        if (CP == 16) {
          tapBackward16(a1 + tap, da1 + tap, w, list, n, dst, cStride, C);
        } else {
          for (let j = 0; j < CP; j += 4) {
            const wj = v128.load(f32At(w, j));
            const jBytes = <usize>j << 2;
            let acc = zero;
            for (let e = 0; e < n; e++) {
              const entry = list + (<usize>e << 3);
              const at = <usize>load<u32>(entry) + jBytes;
              const g = v128.load32_splat(entry, 4);
              acc = madd(g, v128.load(a1 + tap + at), acc);
              const d = da1 + tap + at;
              v128.store(d, madd(g, wj, v128.load(d)));
            }
            storeLanes(acc, dst + <usize>j * cStride, cStride, C - j);
          }
        }
      }
    }
  }
}

// 16 input channels: the tap's weights and kernel-gradient accumulators all stay in registers.
@inline function tapBackward16(a1: usize, da1: usize, w: usize, list: usize, n: i32, dst: usize, cStride: usize, C: i32): void {
  const w0 = v128.load(w);
  const w1 = v128.load(w, 16);
  const w2 = v128.load(w, 32);
  const w3 = v128.load(w, 48);
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let acc2 = f32x4.splat(0);
  let acc3 = f32x4.splat(0);
  for (let e = 0; e < n; e++) {
    const entry = list + (<usize>e << 3);
    const at = <usize>load<u32>(entry);
    const g = v128.load32_splat(entry, 4);
    const s = a1 + at;
    acc0 = madd(g, v128.load(s), acc0);
    acc1 = madd(g, v128.load(s, 16), acc1);
    acc2 = madd(g, v128.load(s, 32), acc2);
    acc3 = madd(g, v128.load(s, 48), acc3);
    const d = da1 + at;
    v128.store(d, madd(g, w0, v128.load(d)));
    v128.store(d, madd(g, w1, v128.load(d, 16)), 16);
    v128.store(d, madd(g, w2, v128.load(d, 32)), 32);
    v128.store(d, madd(g, w3, v128.load(d, 48)), 48);
  }
  storeLanes(acc0, dst, cStride, C);
  storeLanes(acc1, dst + 4 * cStride, cStride, C - 4);
  storeLanes(acc2, dst + 8 * cStride, cStride, C - 8);
  storeLanes(acc3, dst + 12 * cStride, cStride, C - 12);
}

/**
 * conv2Backward for one filter f, by pairs of horizontally neighbouring outputs: with a kernel two
 * strides wide, output o's tap (ky, kx+S) and output o+1's tap (ky, kx) cover the same input
 * position T, so one load of a1[T] feeds both taps' kernel gradients and one read-modify-write of
 * da1[T] takes both contributions (as pixel pairs do in conv1). The pair list holds, per output
 * row, (corner of o, g[o], g[o+1]) for ox = -1..OW-1 wherever either gradient is nonzero (the
 * outputs beyond the row's ends count as zero; ox = -1 reaches one stride into a1's margin).
 *   kern2[f,:,ky,kx+S] += g[o] * a1[T],  kern2[f,:,ky,kx] += g[o+1] * a1[T]
 *   da1[T] += g[o] * w[f,:,ky,kx+S] + g[o+1] * w[f,:,ky,kx]
 */
function pairBackward16(c: usize, f: i32, slot: usize): void {
  const OH = cfg(c, Cfg.OH2);
  const OW = cfg(c, Cfg.OW2);
  const KH = cfg(c, Cfg.KH2);
  const KW = cfg(c, Cfg.KW2);
  const S = cfg(c, Cfg.S2);
  const RS1 = cfg(c, Cfg.RS1);
  const C = cfg(c, Cfg.F1);
  const F = cfg(c, Cfg.F2);
  const a1 = addr(c, Cfg.A1);
  const da1 = addr(c, Cfg.DA1);
  const w2b = addr(c, Cfg.W2B);
  const pairs = addr(c, Cfg.LISTP);
  const g2 = f32At(addr(c, Cfg.DA2), f * OH * OW);
  // The list is built with one 16-byte store per pair, (g[ox], g[ox+1]) read as one 8-byte load
  // and tested as one u64 (a -0 gradient counts as nonzero: its entry adds only +-0 terms); the
  // row's two ends, which pair with an output outside the grid, are written apart, and kb2 is a
  // vector sum of its own. Entry by entry, with three scalar stores, a float compare of each side
  // and kb2's scalar sum in the same loop, the eight filters' lists took 3.6 us per MNIST sample
  // (FMA build); this way 0.8, and conv2Backward went from 16.7 to 15.3 us.
  let n = 0;
  const step = S << 6;
  for (let oy = 0; oy < OH; oy++) {
    const row = f32At(g2, oy * OW);
    let corner = (oy * S * RS1 - S) << 6; // a1 byte offset of output (oy, -1)'s window
    const first = load<f32>(row);
    let entry = pairs + (<usize>n << 4);
    v128.store(entry, i32x4.replace_lane(v128.shuffle<i32>(v128.load32_zero(row), f32x4.splat(0), 4, 4, 0, 4), 0, corner));
    n += i32(first != 0);
    for (let ox = 0; ox + 1 < OW; ox++) {
      corner += step;
      const p = row + (<usize>ox << 2);
      entry = pairs + (<usize>n << 4);
      const g = v128.load64_zero(p); // (g[ox], g[ox+1], 0, 0)
      v128.store(entry, i32x4.replace_lane(v128.shuffle<i32>(g, g, 0, 0, 1, 2), 0, corner));
      n += i32(load<u64>(p) != 0);
    }
    const last = load<f32>(f32At(row, OW - 1));
    entry = pairs + (<usize>n << 4);
    v128.store(entry, i32x4.replace_lane(v128.shuffle<i32>(v128.load32_zero(f32At(row, OW - 1)), f32x4.splat(0), 4, 0, 4, 4), 0, corner + step));
    n += i32(last != 0);
  }
  // kb2[f] = sum of g.
  const count = OH * OW;
  let sums = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= count; i += 4) sums = f32x4.add(sums, v128.load(f32At(g2, i)));
  let bias = hsum(sums);
  for (; i < count; i++) bias += load<f32>(f32At(g2, i));
  store<f32>(f32At(slot, cfg(c, Cfg.O_KB2) + f), bias);
  const end = pairs + (<usize>n << 4);
  const kern2 = f32At(slot, cfg(c, Cfg.O_KERN2) + f * C * KH * KW);
  const cStride = <usize>(KH * KW) << 2;
  for (let ky = 0; ky < KH; ky++) {
    for (let kx = 0; kx < S; kx++) {
      // T = corner(o) + (ky, kx+S): the right tap of o, the left tap of o+1.
      const tap = <usize>((ky * RS1 + kx + S) << 6);
      const src = a1 + tap;
      let r0 = f32x4.splat(0);
      let r1 = f32x4.splat(0);
      let r2 = f32x4.splat(0);
      let r3 = f32x4.splat(0);
      let l0 = f32x4.splat(0);
      let l1 = f32x4.splat(0);
      let l2 = f32x4.splat(0);
      let l3 = f32x4.splat(0);
      for (let entry = pairs; entry < end; entry += 16) {
        const p = src + <usize>load<u32>(entry);
        const gl = v128.load32_splat(entry, 4);
        const gr = v128.load32_splat(entry, 8);
        const x0 = v128.load(p);
        r0 = madd(gl, x0, r0);
        l0 = madd(gr, x0, l0);
        const x1 = v128.load(p, 16);
        r1 = madd(gl, x1, r1);
        l1 = madd(gr, x1, l1);
        const x2 = v128.load(p, 32);
        r2 = madd(gl, x2, r2);
        l2 = madd(gr, x2, l2);
        const x3 = v128.load(p, 48);
        r3 = madd(gl, x3, r3);
        l3 = madd(gr, x3, l3);
      }
      const right = f32At(kern2, ky * KW + kx + S);
      storeLanes(r0, right, cStride, C);
      storeLanes(r1, right + 4 * cStride, cStride, C - 4);
      storeLanes(r2, right + 8 * cStride, cStride, C - 8);
      storeLanes(r3, right + 12 * cStride, cStride, C - 12);
      const left = f32At(kern2, ky * KW + kx);
      storeLanes(l0, left, cStride, C);
      storeLanes(l1, left + 4 * cStride, cStride, C - 4);
      storeLanes(l2, left + 8 * cStride, cStride, C - 8);
      storeLanes(l3, left + 12 * cStride, cStride, C - 12);

      const wr = w2b + (<usize>(((ky * KW + kx + S) * F + f) << 4) << 2);
      const wl = w2b + (<usize>(((ky * KW + kx) * F + f) << 4) << 2);
      const wr0 = v128.load(wr);
      const wr1 = v128.load(wr, 16);
      const wr2 = v128.load(wr, 32);
      const wr3 = v128.load(wr, 48);
      const wl0 = v128.load(wl);
      const wl1 = v128.load(wl, 16);
      const wl2 = v128.load(wl, 32);
      const wl3 = v128.load(wl, 48);
      const dst = da1 + tap;
      for (let entry = pairs; entry < end; entry += 16) {
        const d = dst + <usize>load<u32>(entry);
        const gl = v128.load32_splat(entry, 4);
        const gr = v128.load32_splat(entry, 8);
        v128.store(d, madd(gr, wl0, madd(gl, wr0, v128.load(d))));
        v128.store(d, madd(gr, wl1, madd(gl, wr1, v128.load(d, 16))), 16);
        v128.store(d, madd(gr, wl2, madd(gl, wr2, v128.load(d, 32))), 32);
        v128.store(d, madd(gr, wl3, madd(gl, wr3, v128.load(d, 48))), 48);
      }
    }
  }
}
