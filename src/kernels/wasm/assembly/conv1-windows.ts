import { addr, cfg, Cfg, f32At, POSITION16_BYTES } from './config';
import { TAP_BYTES } from './conv1-pixel-pairs';
import { madd, relu4 } from './simd';

// conv1's window version of the forward pass, for the pixel-pair shapes (16 filters, stride 1)
// whose rows fit a u64. Two neighbouring outputs at a time, their 16 filter lanes in eight
// accumulators held in registers and each tap's weights loaded once for both, it adds whole window
// rows of IMAGE (loadInput), zeros included: a zero pixel adds an exact zero, so each output's sum
// is the pixel pairs' sum over the nonzero pixels, in the same tap order, and a1 is bitwise theirs.
// It does no read-modify-write of a1 per tap, but multiplies the zeros of every window row it does
// not skip, so it pays on images with many nonzero pixels: conv1.ts picks per image by the work
// each would do (windowsPay). Per Fashion-MNIST sample (FMA build, seed weights after an epoch),
// against the pixel pairs alone: 21.5-21.9 -> 16.6 us; on MNIST digits the pixel pairs keep 8.7 us
// (`node dist/bench/research/kernel-phases.js --data <fashion-mnist>`; docs/kernels.md).

/** Relative costs, as measured on Fashion-MNIST: a window row's tap (eight FMAs), a pixel pair's tap pair (eight FMAs and a1's read-modify-write). */
@inline const WINDOW_TAP_COST: i32 = 7;
@inline const PAIR_TAP_COST: i32 = 8;

/**
 * Whether windowForward has less to do than scatterPixelPairs for this image: the window rows it
 * would add (a row of the image counts once for each pair of outputs whose windows it meets and
 * is not zero in) against the pixel pairs (NZP) that each pair of taps visits.
 */
export function windowsPay(c: usize): bool {
  const H = cfg(c, Cfg.H);
  const KH = cfg(c, Cfg.KH1);
  const KW = cfg(c, Cfg.KW1);
  const OH = cfg(c, Cfg.OH1);
  const OW = cfg(c, Cfg.OW1);
  const rows = addr(c, Cfg.ROWS);
  const span: u64 = (<u64>1 << <u64>(KW + 1)) - 1;
  let windowRows = 0;
  for (let y = 0; y < H; y++) {
    const bits = load<u64>(rows + (<usize>y << 3));
    if (bits == 0) continue;
    let hits = 0;
    for (let ox = 0; ox < OW; ox += 2) hits += i32(((bits >> <u64>ox) & span) != 0);
    // Output rows oy with oy <= y <= oy + KH - 1 read image row y.
    const reach = min(y, OH - 1) - max(0, y - KH + 1) + 1;
    windowRows += hits * reach;
  }
  // Tap row ky of the pixel pairs loops over the pairs of image rows ky..ky+OH-1.
  const pairRowStart = addr(c, Cfg.NZP_ROW);
  let pairs = 0;
  for (let ky = 0; ky < KH; ky++) pairs += load<i32>(f32At(pairRowStart, ky + OH)) - load<i32>(f32At(pairRowStart, ky));
  return windowRows * KW * WINDOW_TAP_COST < pairs * ((KW + 1) >> 1) * PAIR_TAP_COST;
}

/**
 * a1[oy,ox,f] = relu(b[f] + sum_{ky,kx} w[f,ky,kx] * x[oy+ky, ox+kx]), taps in row-major order;
 * window rows that are zero in both outputs' windows are skipped by ROWS's bits.
 */
export function windowForward(c: usize): void {
  const KH = cfg(c, Cfg.KH1);
  const KW = cfg(c, Cfg.KW1);
  const OH = cfg(c, Cfg.OH1);
  const OW = cfg(c, Cfg.OW1);
  const rs = cfg(c, Cfg.RS1);
  const a1 = addr(c, Cfg.A1);
  const w1p = addr(c, Cfg.W1P);
  const b1p = addr(c, Cfg.B1P);
  const image = addr(c, Cfg.IMAGE);
  const rows = addr(c, Cfg.ROWS);
  const imageRow = <usize>(cfg(c, Cfg.W) + 1) << 2;
  const span: u64 = (<u64>1 << <u64>(KW + 1)) - 1; // both windows' columns
  const kyBytes = <usize>KW * TAP_BYTES;
  const c0 = v128.load(b1p);
  const c1 = v128.load(b1p, 16);
  const c2 = v128.load(b1p, 32);
  const c3 = v128.load(b1p, 48);
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox += 2) {
      let a0 = c0, a1v = c1, a2 = c2, a3 = c3;
      let b0 = c0, b1 = c1, b2 = c2, b3 = c3;
      for (let ky = 0; ky < KH; ky++) {
        const y = oy + ky;
        if (((load<u64>(rows + (<usize>y << 3)) >> <u64>ox) & span) == 0) continue;
        const row = image + <usize>y * imageRow + (<usize>ox << 2);
        const w = w1p + <usize>ky * kyBytes;
        for (let kx = 0; kx < KW; kx++) {
          const wt = w + <usize>kx * TAP_BYTES;
          const w0 = v128.load(wt), w1 = v128.load(wt, 16), w2 = v128.load(wt, 32), w3 = v128.load(wt, 48);
          const va = v128.load32_splat(row + (<usize>kx << 2));
          const vb = v128.load32_splat(row + (<usize>kx << 2), 4);
          a0 = madd(va, w0, a0); a1v = madd(va, w1, a1v); a2 = madd(va, w2, a2); a3 = madd(va, w3, a3);
          b0 = madd(vb, w0, b0); b1 = madd(vb, w1, b1); b2 = madd(vb, w2, b2); b3 = madd(vb, w3, b3);
        }
      }
      const o = a1 + <usize>(oy * rs + ox) * POSITION16_BYTES;
      v128.store(o, relu4(a0)); v128.store(o, relu4(a1v), 16); v128.store(o, relu4(a2), 32); v128.store(o, relu4(a3), 48);
      if (ox + 1 < OW) {
        v128.store(o, relu4(b0), 64); v128.store(o, relu4(b1), 80); v128.store(o, relu4(b2), 96); v128.store(o, relu4(b3), 112);
      }
    }
  }
}
