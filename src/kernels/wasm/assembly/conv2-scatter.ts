import { addr, cfg, Cfg, f32At, POSITION16_BYTES, POSITION16_SHIFT } from './config';
import { madd, relu4, storeLanes } from './simd';

// conv2's scatter version, for the seed's shape only (16 channels in, 4x4 taps, stride 2,
// 8 filters):
//   scatterForward  over a1's nonzero values (about half of a1 is ReLU's exact zeros; skipping them
//                   only drops +-0 terms), in blocks of 2x2 positions; blocks equal to conv1's
//                   background take sums computed once per call.
// Block (Y,X) is at a1 (2Y, 2X). With a kernel two strides wide, each position of a block meets
// outputs (Y,X), (Y,X-1), (Y-1,X) and (Y-1,X-1), through taps (ky+2dy, kx+2dx) where (ky,kx) is its
// place in the block and (dy,dx) the output's offset. So one splat of a value feeds 8 FMAs (4
// outputs x 2 lane groups) into accumulators that stay in registers for the whole block, and the
// block's 64 nonzero flags (one compare per 4 channels, narrowed to a bitmask) are walked with ctz.
// Blocks on the grid's edge feed only the outputs inside it. The sums collect in ACC2,
// (OH2,OW2+2,8) with margin columns for outputs -1 and OW2, then bias, ReLU, a2. What pays is the
// skipped entries: an entry's 9 loads and 8 FMAs cost about as much as the dense form's. Per MNIST
// sample (FMA build, trained seed weights), against conv2-columns.ts: 9.5 -> 7.4 us
// (`node dist/bench/research/kernel-phases.js`, conv2 fwd; docs/kernels.md).

// The upper four of the 8 filters' lanes, in w2f and in a sum.
@inline const HIGH_LANES: usize = 16;
// One output's 8 sums in ACC2 and BG2, 32 bytes; also one channel's 8 filter weights in w2f.
@inline const OUTPUT_SHIFT: i32 = 5;
@inline const OUTPUT_BYTES: usize = 1 << OUTPUT_SHIFT;
// w2f is (ky,kx,c,f): one tap is 16 channels of 8 filters (512 bytes), one kernel row 4 taps.
@inline const TAP_BYTES: usize = 16 * OUTPUT_BYTES;
@inline const KERNEL_ROW_SHIFT: i32 = 11;
@inline const KERNEL_ROW_BYTES: usize = 1 << KERNEL_ROW_SHIFT;
// From a position's tap for output (Y,X) to its tap for (Y,X-1): two columns of taps further right;
// for (Y-1,X): two kernel rows further down.
@inline const LEFT_OUTPUT: usize = 2 * TAP_BYTES;
@inline const UPPER_OUTPUT: usize = 2 * KERNEL_ROW_BYTES;
// Two positions of a block row, 128 bytes; block X starts 2X positions into its a1 row.
@inline const BLOCK_ROW_SHIFT: i32 = POSITION16_SHIFT + 1;
// BG2: the background block's sums for outputs (dy,dx), at OUTPUT_BYTES * (2dy + dx), then conv1's
// background position relu(b1) at BACKGROUND.
@inline const BACKGROUND: usize = 4 * OUTPUT_BYTES;

/** a2[f,oy,ox] = relu(b[f] + sum_{c,ky,kx} w[f,c,ky,kx] * a1[2oy+ky, 2ox+kx, c]) */
export function scatterForward(c: usize): void {
  const OH = cfg(c, Cfg.OH2);
  const OW = cfg(c, Cfg.OW2);
  const RS1 = cfg(c, Cfg.RS1);
  const F = cfg(c, Cfg.F2);
  const a1 = addr(c, Cfg.A1);
  const a2 = addr(c, Cfg.A2);
  const w2f = addr(c, Cfg.W2F);
  const b2p = addr(c, Cfg.B2P);
  const acc = addr(c, Cfg.ACC2);
  const rowBytes = <usize>RS1 << POSITION16_SHIFT; // one a1 row
  const accRow = <usize>(OW + 2) << OUTPUT_SHIFT; // one ACC2 row: outputs -1..OW
  const zero = f32x4.splat(0);
  const accEnd = acc + <usize>OH * accRow;
  for (let p = acc; p < accEnd; p += 16) v128.store(p, zero);
  // Background: where conv1's window held no nonzero pixel, a1 is exactly relu(b1), so a block of
  // four such positions adds the same sums to its four outputs every time. A block whose nonzero
  // flags are the background's is compared with it bitwise, and if equal takes the sums (exact for
  // whatever a1 holds there: the sums are of those very values).
  const bg = addr(c, Cfg.BG2);
  const b1p = addr(c, Cfg.B1P);
  const g0 = relu4(v128.load(b1p));
  const g1 = relu4(v128.load(b1p, 16));
  const g2 = relu4(v128.load(b1p, 32));
  const g3 = relu4(v128.load(b1p, 48));
  v128.store(bg, g0, BACKGROUND);
  v128.store(bg, g1, BACKGROUND + 16);
  v128.store(bg, g2, BACKGROUND + 32);
  v128.store(bg, g3, BACKGROUND + 48);
  const bgMask = <u64>nonzero16(g0, g1, g2, g3) * 0x0001_0001_0001_0001; // the same 16 flags at each position
  {
    let p00 = zero, q00 = zero, p01 = zero, q01 = zero, p10 = zero, q10 = zero, p11 = zero, q11 = zero;
    for (let t: usize = 0; t < 64; t++) {
      const v = v128.load32_splat(bg + BACKGROUND + ((t & 15) << 2));
      const w = w2f + ((t & 31) << OUTPUT_SHIFT) + (t >> 5 << KERNEL_ROW_SHIFT);
      p00 = madd(v, v128.load(w), p00);
      q00 = madd(v, v128.load(w, HIGH_LANES), q00);
      p01 = madd(v, v128.load(w, LEFT_OUTPUT), p01);
      q01 = madd(v, v128.load(w, LEFT_OUTPUT + HIGH_LANES), q01);
      p10 = madd(v, v128.load(w, UPPER_OUTPUT), p10);
      q10 = madd(v, v128.load(w, UPPER_OUTPUT + HIGH_LANES), q10);
      p11 = madd(v, v128.load(w, UPPER_OUTPUT + LEFT_OUTPUT), p11);
      q11 = madd(v, v128.load(w, UPPER_OUTPUT + LEFT_OUTPUT + HIGH_LANES), q11);
    }
    v128.store(bg, p00);
    v128.store(bg, q00, HIGH_LANES);
    v128.store(bg, p01, OUTPUT_BYTES);
    v128.store(bg, q01, OUTPUT_BYTES + HIGH_LANES);
    v128.store(bg, p10, 2 * OUTPUT_BYTES);
    v128.store(bg, q10, 2 * OUTPUT_BYTES + HIGH_LANES);
    v128.store(bg, p11, 3 * OUTPUT_BYTES);
    v128.store(bg, q11, 3 * OUTPUT_BYTES + HIGH_LANES);
  }
  // Edge rows Y = 0 (outputs (0,X), (0,X-1)) and Y = OH (outputs (OH-1,X), (OH-1,X-1)).
  const lastRow = a1 + <usize>(OH << 1) * rowBytes;
  const lastAcc = acc + <usize>(OH - 1) * accRow;
  for (let X = 0; X <= OW; X++) {
    const xo = <usize>X << OUTPUT_SHIFT;
    scatterTwo(a1 + (<usize>X << BLOCK_ROW_SHIFT), rowBytes, bgMask, bg, 0, OUTPUT_BYTES, w2f, w2f + LEFT_OUTPUT, acc + xo + OUTPUT_BYTES, acc + xo);
    scatterTwo(lastRow + (<usize>X << BLOCK_ROW_SHIFT), rowBytes, bgMask, bg, 2 * OUTPUT_BYTES, 3 * OUTPUT_BYTES, w2f + UPPER_OUTPUT, w2f + (UPPER_OUTPUT + LEFT_OUTPUT), lastAcc + xo + OUTPUT_BYTES, lastAcc + xo);
  }
  // Edge columns X = 0 (outputs (Y,0), (Y-1,0)) and X = OW (outputs (Y,OW-1), (Y-1,OW-1)).
  const lastColumn = <usize>OW << BLOCK_ROW_SHIFT;
  const lastColumnAcc = <usize>OW << OUTPUT_SHIFT;
  for (let Y = 1; Y < OH; Y++) {
    const blockRow = a1 + <usize>(Y << 1) * rowBytes;
    const up = acc + <usize>(Y - 1) * accRow;
    scatterTwo(blockRow, rowBytes, bgMask, bg, 0, 2 * OUTPUT_BYTES, w2f, w2f + UPPER_OUTPUT, up + accRow + OUTPUT_BYTES, up + OUTPUT_BYTES);
    scatterTwo(blockRow + lastColumn, rowBytes, bgMask, bg, OUTPUT_BYTES, 3 * OUTPUT_BYTES, w2f + LEFT_OUTPUT, w2f + (UPPER_OUTPUT + LEFT_OUTPUT), up + accRow + lastColumnAcc, up + lastColumnAcc);
  }
  // Interior blocks, in one loop rather than nested row and column loops: V8 unrolls small inner
  // loops by a count that grows with their nesting depth, and the unrolled copy of the entry loop
  // spilled an accumulator.
  let X = 1;
  let blockRow = a1 + (rowBytes << 1);
  let up = acc; // ACC2 of output (Y-1, -1)
  for (let b = 0, blocks = (OH - 1) * (OW - 1); b < blocks; b++) {
    const block = blockRow + (<usize>X << BLOCK_ROW_SHIFT);
    // Bit t: position (t >> 5, (t >> 4) & 1) of the block, channel t & 15.
    let m: u64 = <u64>nonzero32(block) | (<u64>nonzero32(block + rowBytes) << 32);
    let p00 = zero, q00 = zero, p01 = zero, q01 = zero, p10 = zero, q10 = zero, p11 = zero, q11 = zero;
    if (m == bgMask && isBackground(block, rowBytes, bg)) {
      m = 0;
      p00 = v128.load(bg);
      q00 = v128.load(bg, HIGH_LANES);
      p01 = v128.load(bg, OUTPUT_BYTES);
      q01 = v128.load(bg, OUTPUT_BYTES + HIGH_LANES);
      p10 = v128.load(bg, 2 * OUTPUT_BYTES);
      q10 = v128.load(bg, 2 * OUTPUT_BYTES + HIGH_LANES);
      p11 = v128.load(bg, 3 * OUTPUT_BYTES);
      q11 = v128.load(bg, 3 * OUTPUT_BYTES + HIGH_LANES);
    }
    while (m != 0) {
      const t = <usize>ctz(m);
      m &= m - 1;
      const low = t & 31;
      const v = v128.load32_splat(block + (low << 2) + blockRowOf(t, rowBytes));
      const w = w2f + (low << OUTPUT_SHIFT) + (t >> 5 << KERNEL_ROW_SHIFT);
      p00 = madd(v, v128.load(w), p00);
      q00 = madd(v, v128.load(w, HIGH_LANES), q00);
      p01 = madd(v, v128.load(w, LEFT_OUTPUT), p01);
      q01 = madd(v, v128.load(w, LEFT_OUTPUT + HIGH_LANES), q01);
      p10 = madd(v, v128.load(w, UPPER_OUTPUT), p10);
      q10 = madd(v, v128.load(w, UPPER_OUTPUT + HIGH_LANES), q10);
      p11 = madd(v, v128.load(w, UPPER_OUTPUT + LEFT_OUTPUT), p11);
      q11 = madd(v, v128.load(w, UPPER_OUTPUT + LEFT_OUTPUT + HIGH_LANES), q11);
    }
    const o = up + (<usize>X << OUTPUT_SHIFT);
    addTo(o, p11, q11);
    addTo(o + OUTPUT_BYTES, p10, q10);
    addTo(o + accRow, p01, q01);
    addTo(o + accRow + OUTPUT_BYTES, p00, q00);
    if (++X == OW) {
      X = 1;
      blockRow += rowBytes << 1;
      up += accRow;
    }
  }
  const b0 = v128.load(b2p);
  const b1 = v128.load(b2p, HIGH_LANES);
  const plane = <usize>(OH * OW) << 2;
  for (let oy = 0; oy < OH; oy++) {
    const row = acc + <usize>oy * accRow + OUTPUT_BYTES;
    for (let ox = 0; ox < OW; ox++) {
      const s = row + (<usize>ox << OUTPUT_SHIFT);
      const dst = f32At(a2, oy * OW + ox);
      storeLanes(relu4(f32x4.add(v128.load(s), b0)), dst, plane, F);
      storeLanes(relu4(f32x4.add(v128.load(s, HIGH_LANES), b1)), dst + 4 * plane, plane, F - 4);
    }
  }
}

/** One edge block: its nonzero values into two outputs, weights at wa and wb, background sums at bg + bga and bg + bgb. */
@inline function scatterTwo(block: usize, rowBytes: usize, bgMask: u64, bg: usize, bga: usize, bgb: usize, wa: usize, wb: usize, oa: usize, ob: usize): void {
  let m: u64 = <u64>nonzero32(block) | (<u64>nonzero32(block + rowBytes) << 32);
  let pa = f32x4.splat(0), qa = f32x4.splat(0), pb = f32x4.splat(0), qb = f32x4.splat(0);
  if (m == bgMask && isBackground(block, rowBytes, bg)) {
    m = 0;
    pa = v128.load(bg + bga);
    qa = v128.load(bg + bga, HIGH_LANES);
    pb = v128.load(bg + bgb);
    qb = v128.load(bg + bgb, HIGH_LANES);
  }
  while (m != 0) {
    const t = <usize>ctz(m);
    m &= m - 1;
    const low = t & 31;
    const v = v128.load32_splat(block + (low << 2) + blockRowOf(t, rowBytes));
    const w = (low << OUTPUT_SHIFT) + (t >> 5 << KERNEL_ROW_SHIFT);
    pa = madd(v, v128.load(wa + w), pa);
    qa = madd(v, v128.load(wa + w, HIGH_LANES), qa);
    pb = madd(v, v128.load(wb + w), pb);
    qb = madd(v, v128.load(wb + w, HIGH_LANES), qb);
  }
  addTo(oa, pa, qa);
  addTo(ob, pb, qb);
}

/** rowBytes for flag t of the block's second row (t >= 32), else 0: an offset without a branch. */
@inline function blockRowOf(t: usize, rowBytes: usize): usize {
  return (<usize>0 - (t >> 5)) & rowBytes;
}

/** Bit i set where channel i of the two adjacent 16-channel positions at p (i < 32) is nonzero. */
@inline function nonzero32(p: usize): u32 {
  return nonzero16(v128.load(p), v128.load(p, 16), v128.load(p, 32), v128.load(p, 48)) |
    (nonzero16(
      v128.load(p, POSITION16_BYTES), v128.load(p, POSITION16_BYTES + 16),
      v128.load(p, POSITION16_BYTES + 32), v128.load(p, POSITION16_BYTES + 48),
    ) << 16);
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

/** Whether the block's four positions all hold conv1's background values, bitwise. */
@inline function isBackground(block: usize, rowBytes: usize, bg: usize): bool {
  return i32x4.all_true(v128.and(
    v128.and(sameAsBackground(block, bg), sameAsBackground(block + POSITION16_BYTES, bg)),
    v128.and(sameAsBackground(block + rowBytes, bg), sameAsBackground(block + rowBytes + POSITION16_BYTES, bg)),
  ));
}

@inline function sameAsBackground(p: usize, bg: usize): v128 {
  return v128.and(
    v128.and(i32x4.eq(v128.load(p), v128.load(bg, BACKGROUND)), i32x4.eq(v128.load(p, 16), v128.load(bg, BACKGROUND + 16))),
    v128.and(i32x4.eq(v128.load(p, 32), v128.load(bg, BACKGROUND + 32)), i32x4.eq(v128.load(p, 48), v128.load(bg, BACKGROUND + 48))),
  );
}

@inline function addTo(p: usize, lo: v128, hi: v128): void {
  v128.store(p, f32x4.add(v128.load(p), lo));
  v128.store(p, f32x4.add(v128.load(p, HIGH_LANES), hi), HIGH_LANES);
}
