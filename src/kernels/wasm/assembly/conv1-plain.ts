import { addr, cfg, Cfg, ENTRY_SHIFT, f32At, RANGE_SHIFT } from './config';
import { madd, storeLanes } from './simd';

// conv1's plain version: any stride and filter count. Row by row over each input row's nonzero
// pixels that reach an output column (loadInput's NZ lists and NZ_RANGE), one lane group at a time.
// The fast versions are tested against these on the seed's shape (test/wasm-fast-paths.test.ts).

/** Adds sum_{ky,kx} w[f,ky,kx] * x[oy*S1+ky, ox*S1+kx] to a1, which holds the bias. */
export function scatterRows(c: usize): void {
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
        const r = range + (<usize>((oy * S + ky) * KW + kx) << RANGE_SHIFT);
        const hi = load<i32>(r, 4);
        const rowOut = f32At(a1, oy * rowStride);
        for (let e = load<i32>(r); e < hi; e++) {
          const entry = nz + (<usize>e << ENTRY_SHIFT);
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

/** kern[f,ky,kx] = sum_{oy,ox} dout[oy,ox,f] * x[oy*S1+ky, ox*S1+kx], dout being da1 after the mask. */
export function kernelGradientRows(c: usize, slot: usize): void {
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
          const r = range + (<usize>((oy * S + ky) * KW + kx) << RANGE_SHIFT);
          const hi = load<i32>(r, 4);
          const rowD = f32At(da1, oy * rowStride + j);
          for (let e = load<i32>(r); e < hi; e++) {
            const entry = nz + (<usize>e << ENTRY_SHIFT);
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
