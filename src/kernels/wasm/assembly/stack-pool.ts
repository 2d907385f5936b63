import { la, lf, L } from './stack-config';
import { clear } from './stack-conv-plain';

// Max pooling over channel-last activations, the channels as lanes: in is (H,W,CP), out, dout and
// arg (OH,OW,CP), din (H,W,CP). arg holds, per output, the float index in `in` of the value
// taken. The forward pass has a plain version for any window and a fast one for 2x2 windows
// (`plain`, the configuration's PLAIN flag, runs the plain one whatever the window).

/**
 * out[oy,ox,c] = max_{ky,kx} in[oy*SH+ky, ox*SW+kx, c], ties to the first maximum in row-major
 * window order and a NaN winning over any number, as the reference (model/layers/maxpool.ts) and
 * PyTorch's CPU kernel: a value replaces the running maximum when `v > best || v != v`.
 */
export function maxpoolForward(l: usize, plain: bool): void {
  const W = lf(l, L.W), CP = lf(l, L.CP), OH = lf(l, L.OH), OW = lf(l, L.OW);
  const KH = lf(l, L.KH), KW = lf(l, L.KW), SH = lf(l, L.SH), SW = lf(l, L.SW);
  const inp = la(l, L.IN), out = la(l, L.OUT), arg = la(l, L.ARG);
  const lanes = i32x4(0, 1, 2, 3);
  if (!plain && KH == 2 && KW == 2) {
    pool2x2(l);
    return;
  }
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      const first = (oy * SH * W + ox * SW) * CP;
      const o = <usize>((oy * OW + ox) * CP) << 2;
      for (let j = 0; j < CP; j += 4) {
        // Starting from the window's first value is the reference's start from -Infinity, one step on.
        let best = v128.load(inp + (<usize>(first + j) << 2));
        let at = i32x4.add(i32x4.splat(first + j), lanes);
        for (let ky = 0; ky < KH; ky++) {
          for (let kx = ky == 0 ? 1 : 0; kx < KW; kx++) {
            const i = first + (ky * W + kx) * CP + j;
            const v = v128.load(inp + (<usize>i << 2));
            const take = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
            best = v128.bitselect(v, best, take);
            at = v128.bitselect(i32x4.add(i32x4.splat(i), lanes), at, take);
          }
        }
        v128.store(out + o + (<usize>j << 2), best);
        v128.store(arg + o + (<usize>j << 2), at);
      }
    }
  }
}

/**
 * maxpoolForward's fast version, for 2x2 windows (the presets' pools): the three later taps
 * unrolled, the same comparisons in the same order (opacus-mnist's first pool, 13x13x16: 6.4 ->
 * 3.0 us per MNIST sample, FMA build; `node dist/bench/research/stack-phases.js --other <previous
 * build>`).
 */
function pool2x2(l: usize): void {
  const W = lf(l, L.W), CP = lf(l, L.CP), OH = lf(l, L.OH), OW = lf(l, L.OW), SH = lf(l, L.SH), SW = lf(l, L.SW);
  const inp = la(l, L.IN), out = la(l, L.OUT), arg = la(l, L.ARG);
  const lanes = i32x4(0, 1, 2, 3);
  const right = i32x4.splat(CP), down = i32x4.splat(W * CP);
  const rightBytes = <usize>CP << 2, downBytes = <usize>(W * CP) << 2;
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      const first = (oy * SH * W + ox * SW) * CP;
      const o = <usize>((oy * OW + ox) * CP) << 2;
      for (let j = 0; j < CP; j += 4) {
        const p = inp + (<usize>(first + j) << 2);
        const i0 = i32x4.add(i32x4.splat(first + j), lanes);
        let best = v128.load(p);
        let at = i0;
        let v = v128.load(p + rightBytes);
        let take = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
        best = v128.bitselect(v, best, take);
        at = v128.bitselect(i32x4.add(i0, right), at, take);
        v = v128.load(p + downBytes);
        take = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
        best = v128.bitselect(v, best, take);
        at = v128.bitselect(i32x4.add(i0, down), at, take);
        v = v128.load(p + downBytes + rightBytes);
        take = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
        best = v128.bitselect(v, best, take);
        at = v128.bitselect(i32x4.add(i32x4.add(i0, down), right), at, take);
        v128.store(out + o + (<usize>j << 2), best);
        v128.store(arg + o + (<usize>j << 2), at);
      }
    }
  }
}

/** Differentiates maxpoolForward: din[arg[o]] += dout[o] (overlapping windows may pick one input twice). */
export function maxpoolBackward(l: usize): void {
  const din = la(l, L.DIN);
  if (din == 0) return;
  clear(din, lf(l, L.H) * lf(l, L.W) * lf(l, L.CP));
  const dout = la(l, L.DOUT), arg = la(l, L.ARG);
  const n = lf(l, L.OH) * lf(l, L.OW) * lf(l, L.CP);
  for (let o = 0; o < n; o++) {
    const g = load<f32>(dout + (<usize>o << 2));
    if (g == 0) continue;
    const d = din + (<usize>load<i32>(arg + (<usize>o << 2)) << 2);
    store<f32>(d, load<f32>(d) + g);
  }
}
