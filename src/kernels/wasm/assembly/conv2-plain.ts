import { addr, cfg, Cfg, ENTRY_SHIFT, f32At } from './config';
import { madd, relu4, storeLanes } from './simd';

// conv2's plain versions, for any shape (filter and channel counts padded to whole vectors):
//   plainForward  each output and lane group alone: one dot product over its window;
//   listBackward  each filter's nonzero output gradients gathered into LIST, then visited once per
//                 tap; with 16 input channels (`channels16`), the tap's weights and its four
//                 kernel-gradient accumulators stay in registers.
// The fast versions are tested against these on the seed's shape (test/wasm-fast-paths.test.ts).

/** a2[f,oy,ox] = relu(b[f] + sum_{c,ky,kx} w[f,c,ky,kx] * a1[oy*S2+ky, ox*S2+kx, c]) */
export function plainForward(c: usize): void {
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
 * conv2Backward for every filter, da1 cleared by the caller. Filter f's nonzero entries of da2 are
 * first gathered into LIST as (a1 byte offset of the window's corner, g), and only those are visited:
 *   kb2[f] = sum g
 *   kern2[f,c,ky,kx] = sum g * a1[corner + (ky,kx), c]
 *   da1[corner + (ky,kx), c] += w[f,c,ky,kx] * g
 */
export function listBackward(c: usize, slot: usize, channels16: bool): void {
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
  const cStride = <usize>(KH * KW) << 2;
  const positionBytes = <usize>CP << 2;
  for (let f = 0; f < F; f++) {
    let n = 0;
    let bias: f32 = 0;
    const g2 = f32At(da2, f * OH * OW);
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const g = load<f32>(f32At(g2, oy * OW + ox));
        const entry = list + (<usize>n << ENTRY_SHIFT);
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
        if (channels16) {
          tapBackward16(a1 + tap, da1 + tap, w, list, n, dst, cStride, C);
        } else {
          for (let j = 0; j < CP; j += 4) {
            const wj = v128.load(f32At(w, j));
            const jBytes = <usize>j << 2;
            let acc = zero;
            for (let e = 0; e < n; e++) {
              const entry = list + (<usize>e << ENTRY_SHIFT);
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
    const entry = list + (<usize>e << ENTRY_SHIFT);
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
