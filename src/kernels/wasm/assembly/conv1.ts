import { addr, cfg, Cfg, f32At } from './config';
import { madd, mask4, relu4, storeLanes } from './simd';

// conv1 over the single-channel image, channel-last: a1 is (OH1,OW1,F1P), w1p is (KH1,KW1,F1P) and
// b1p (F1P), both repacked from kern (F1,KH1,KW1) and kb by prepare(). The filters are the f32x4 lanes.
// The image is read only through loadInput's nonzero-pixel list (scatter form): a pixel v at (y,x)
// meets tap (ky,kx) at output (oy,ox) = ((y-ky)/S1, (x-kx)/S1) when that divides evenly.

/** a1[oy,ox,f] = relu(b[f] + sum_{ky,kx} w[f,ky,kx] * x[oy*S1+ky, ox*S1+kx]) */
export function conv1Forward(c: usize): void {
  const OH = cfg(c, Cfg.OH1);
  const OW = cfg(c, Cfg.OW1);
  const FP = cfg(c, Cfg.F1P);
  const a1 = addr(c, Cfg.A1);
  const b1p = addr(c, Cfg.B1P);
  const values = OH * OW * FP;
  for (let j = 0; j < FP; j += 4) {
    const b = v128.load(f32At(b1p, j));
    for (let i = j; i < values; i += FP) v128.store(f32At(a1, i), b);
  }
  if (FP == 16 && cfg(c, Cfg.S1) == 1) scatterForward16(c);
  else scatterForwardGeneric(c);
  for (let i = 0; i < values; i += 4) {
    const p = f32At(a1, i);
    v128.store(p, relu4(v128.load(p)));
  }
}

// The seed's shape (16 filters, stride 1): the tap's four weight vectors stay in registers while
// every pixel that reaches an output adds v * w to that output's 16 values.
function scatterForward16(c: usize): void {
  const OH = cfg(c, Cfg.OH1);
  const OW = cfg(c, Cfg.OW1);
  const KH = cfg(c, Cfg.KH1);
  const KW = cfg(c, Cfg.KW1);
  const a1 = addr(c, Cfg.A1);
  const w1p = addr(c, Cfg.W1P);
  const nz = addr(c, Cfg.NZ);
  const range = addr(c, Cfg.NZ_RANGE);
  for (let ky = 0; ky < KH; ky++) {
    for (let kx = 0; kx < KW; kx++) {
      const wTap = w1p + (<usize>(ky * KW + kx) << 6);
      const w0 = v128.load(wTap);
      const w1 = v128.load(wTap, 16);
      const w2 = v128.load(wTap, 32);
      const w3 = v128.load(wTap, 48);
      for (let oy = 0; oy < OH; oy++) {
        const r = range + (<usize>((oy + ky) * KW + kx) << 3);
        const hi = load<i32>(r, 4);
        // Output (oy, x-kx) is at rowOut + x*64; the range guarantees x >= kx.
        const rowOut = a1 + (<usize>(oy * OW - kx) << 6);
        for (let e = load<i32>(r); e < hi; e++) {
          const entry = nz + (<usize>e << 3);
          const o = rowOut + (<usize>load<i32>(entry) << 6);
          const v = v128.load32_splat(entry, 4);
          v128.store(o, madd(v, w0, v128.load(o)));
          v128.store(o, madd(v, w1, v128.load(o, 16)), 16);
          v128.store(o, madd(v, w2, v128.load(o, 32)), 32);
          v128.store(o, madd(v, w3, v128.load(o, 48)), 48);
        }
      }
    }
  }
}

function scatterForwardGeneric(c: usize): void {
  const OH = cfg(c, Cfg.OH1);
  const OW = cfg(c, Cfg.OW1);
  const KH = cfg(c, Cfg.KH1);
  const KW = cfg(c, Cfg.KW1);
  const S = cfg(c, Cfg.S1);
  const FP = cfg(c, Cfg.F1P);
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
        const rowOut = f32At(a1, oy * OW * FP);
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
 * da1 is (OH1,OW1,F1P) as conv2Backward left it; the ReLU mask is applied here, in place.
 *   kb[f] = sum_{oy,ox} dout[oy,ox,f]
 *   kern[f,ky,kx] = sum_{oy,ox} dout[oy,ox,f] * x[oy*S1+ky, ox*S1+kx]   (nonzero pixels only)
 */
export function conv1Backward(c: usize, slot: usize): void {
  const KH = cfg(c, Cfg.KH1);
  const KW = cfg(c, Cfg.KW1);
  const F = cfg(c, Cfg.F1);
  const FP = cfg(c, Cfg.F1P);
  const positions = cfg(c, Cfg.OH1) * cfg(c, Cfg.OW1);
  const a1 = addr(c, Cfg.A1);
  const da1 = addr(c, Cfg.DA1);
  for (let j = 0; j < FP; j += 4) {
    let bias = f32x4.splat(0);
    for (let i = j; i < positions * FP; i += FP) {
      const p = f32At(da1, i);
      const d = mask4(v128.load(p), v128.load(f32At(a1, i)));
      v128.store(p, d);
      bias = f32x4.add(bias, d);
    }
    storeLanes(bias, f32At(slot, cfg(c, Cfg.O_KB) + j), 4, F - j);
  }
  if (FP == 16 && cfg(c, Cfg.S1) == 1) kernelGradient16(c, slot);
  else kernelGradientGeneric(c, slot);
}

function kernelGradient16(c: usize, slot: usize): void {
  const OH = cfg(c, Cfg.OH1);
  const OW = cfg(c, Cfg.OW1);
  const KH = cfg(c, Cfg.KH1);
  const KW = cfg(c, Cfg.KW1);
  const F = cfg(c, Cfg.F1);
  const da1 = addr(c, Cfg.DA1);
  const nz = addr(c, Cfg.NZ);
  const range = addr(c, Cfg.NZ_RANGE);
  const kern = f32At(slot, cfg(c, Cfg.O_KERN));
  const fStride = <usize>(KH * KW) << 2;
  for (let ky = 0; ky < KH; ky++) {
    for (let kx = 0; kx < KW; kx++) {
      let acc0 = f32x4.splat(0);
      let acc1 = f32x4.splat(0);
      let acc2 = f32x4.splat(0);
      let acc3 = f32x4.splat(0);
      for (let oy = 0; oy < OH; oy++) {
        const r = range + (<usize>((oy + ky) * KW + kx) << 3);
        const hi = load<i32>(r, 4);
        const rowD = da1 + (<usize>(oy * OW - kx) << 6);
        for (let e = load<i32>(r); e < hi; e++) {
          const entry = nz + (<usize>e << 3);
          const d = rowD + (<usize>load<i32>(entry) << 6);
          const v = v128.load32_splat(entry, 4);
          acc0 = madd(v, v128.load(d), acc0);
          acc1 = madd(v, v128.load(d, 16), acc1);
          acc2 = madd(v, v128.load(d, 32), acc2);
          acc3 = madd(v, v128.load(d, 48), acc3);
        }
      }
      const dst = f32At(kern, ky * KW + kx);
      storeLanes(acc0, dst, fStride, F);
      storeLanes(acc1, dst + 4 * fStride, fStride, F - 4);
      storeLanes(acc2, dst + 8 * fStride, fStride, F - 8);
      storeLanes(acc3, dst + 12 * fStride, fStride, F - 12);
    }
  }
}

function kernelGradientGeneric(c: usize, slot: usize): void {
  const OH = cfg(c, Cfg.OH1);
  const OW = cfg(c, Cfg.OW1);
  const KH = cfg(c, Cfg.KH1);
  const KW = cfg(c, Cfg.KW1);
  const S = cfg(c, Cfg.S1);
  const F = cfg(c, Cfg.F1);
  const FP = cfg(c, Cfg.F1P);
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
          const rowD = f32At(da1, oy * OW * FP + j);
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
