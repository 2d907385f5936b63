import { addr, cfg, Cfg, f32At, PAIR_ENTRY_BYTES, PAIR_ENTRY_SHIFT, POSITION16_SHIFT } from './config';
import { hsum, madd, storeLanes } from './simd';

// conv2's paired backward, for 16 input channels and a kernel two strides wide (the seed's: 4 wide,
// stride 2), with a1's left margin at least one stride wide:
//   pairBackward  pairs of horizontally neighbouring outputs share each a1 load and da1 update.
// Output o's tap (ky, kx+S) and output o+1's tap (ky, kx) cover the same input position T, so one
// load of a1[T] feeds both taps' kernel gradients and one read-modify-write of da1[T] takes both
// contributions (as pixel pairs do in conv1). Per MNIST sample (FMA build, trained seed weights),
// against the 16-channel list of conv2-plain.ts: 19.7 -> 16.2 us
// (`node dist/bench/research/kernel-phases.js`, conv2 bwd; docs/kernels.md).

/** conv2Backward for every filter, da1 cleared by the caller. */
export function pairBackward(c: usize, slot: usize): void {
  const F = cfg(c, Cfg.F2);
  for (let f = 0; f < F; f++) pairBackwardOf(c, f, slot);
}

/**
 * Filter f. The pair list LISTP holds, per output row, (corner of o, g[o], g[o+1]) for
 * ox = -1..OW-1 wherever either gradient is nonzero (the outputs beyond the row's ends count as zero;
 * ox = -1 reaches one stride into a1's margin).
 *   kern2[f,:,ky,kx+S] += g[o] * a1[T],  kern2[f,:,ky,kx] += g[o+1] * a1[T]
 *   da1[T] += g[o] * w[f,:,ky,kx+S] + g[o+1] * w[f,:,ky,kx]
 */
function pairBackwardOf(c: usize, f: i32, slot: usize): void {
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
  // One 16-byte store per pair: (g[ox], g[ox+1]) read as one 8-byte load and tested as one u64 (a
  // -0 gradient counts as nonzero: its entry adds only +-0 terms); the row's two ends, which pair
  // with an output outside the grid, are written apart, and kb2 is a vector sum of its own. Entry
  // by entry with scalar stores and compares, the eight lists took 3.6 us per sample; this way 0.8.
  let n = 0;
  const step = S << POSITION16_SHIFT;
  for (let oy = 0; oy < OH; oy++) {
    const row = f32At(g2, oy * OW);
    let corner = (oy * S * RS1 - S) << POSITION16_SHIFT; // a1 byte offset of output (oy, -1)'s window
    const first = load<f32>(row);
    let entry = pairs + (<usize>n << PAIR_ENTRY_SHIFT);
    v128.store(entry, i32x4.replace_lane(v128.shuffle<i32>(v128.load32_zero(row), f32x4.splat(0), 4, 4, 0, 4), 0, corner));
    n += i32(first != 0);
    for (let ox = 0; ox + 1 < OW; ox++) {
      corner += step;
      const p = row + (<usize>ox << 2);
      entry = pairs + (<usize>n << PAIR_ENTRY_SHIFT);
      const g = v128.load64_zero(p); // (g[ox], g[ox+1], 0, 0)
      v128.store(entry, i32x4.replace_lane(v128.shuffle<i32>(g, g, 0, 0, 1, 2), 0, corner));
      n += i32(load<u64>(p) != 0);
    }
    const last = load<f32>(f32At(row, OW - 1));
    entry = pairs + (<usize>n << PAIR_ENTRY_SHIFT);
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
  const end = pairs + (<usize>n << PAIR_ENTRY_SHIFT);
  const kern2 = f32At(slot, cfg(c, Cfg.O_KERN2) + f * C * KH * KW);
  const cStride = <usize>(KH * KW) << 2;
  for (let ky = 0; ky < KH; ky++) {
    for (let kx = 0; kx < S; kx++) {
      // T = corner(o) + (ky, kx+S): the right tap of o, the left tap of o+1.
      const tap = <usize>((ky * RS1 + kx + S) << POSITION16_SHIFT);
      const src = a1 + tap;
      let r0 = f32x4.splat(0);
      let r1 = f32x4.splat(0);
      let r2 = f32x4.splat(0);
      let r3 = f32x4.splat(0);
      let l0 = f32x4.splat(0);
      let l1 = f32x4.splat(0);
      let l2 = f32x4.splat(0);
      let l3 = f32x4.splat(0);
      for (let entry = pairs; entry < end; entry += PAIR_ENTRY_BYTES) {
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
      for (let entry = pairs; entry < end; entry += PAIR_ENTRY_BYTES) {
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
