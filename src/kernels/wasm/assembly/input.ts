import { addr, cfg, Cfg, f32At } from './config';

/** How the JS side copied the sample's pixels into the PIXELS staging area. */
export const enum PixelKind {
  U8 = 0,
  F32 = 1,
  F64 = 2,
}

/**
 * x[i] = pixels[i] / divisor, divided in f64 and rounded once to f32 as the reference's
 * Float32Array store does. Then the image's nonzero pixels, row by row, as NZ entries
 * (column: i32, value: f32) with NZ_ROW[y] the first entry of row y, and for each row y and
 * kernel column kx the range NZ_RANGE[y,kx] = [lo, hi) of the row's entries whose column
 * x satisfies kx <= x <= kx + (OW1-1)*S1, i.e. that reach some conv1 output column.
 * MNIST pixels are ~80% exact zeros, which conv1 then never touches.
 */
export function loadInput(c: usize, kind: i32, divisor: f64): void {
  const H = cfg(c, Cfg.H);
  const W = cfg(c, Cfg.W);
  const n = H * W;
  const pixels = addr(c, Cfg.PIXELS);
  const x = addr(c, Cfg.X);
  if (kind == PixelKind.U8) {
    for (let i = 0; i < n; i++) store<f32>(f32At(x, i), <f32>(<f64>load<u8>(pixels + <usize>i) / divisor));
  } else if (kind == PixelKind.F32) {
    for (let i = 0; i < n; i++) store<f32>(f32At(x, i), <f32>(<f64>load<f32>(f32At(pixels, i)) / divisor));
  } else {
    for (let i = 0; i < n; i++) store<f32>(f32At(x, i), <f32>(load<f64>(pixels + (<usize>i << 3)) / divisor));
  }

  const nz = addr(c, Cfg.NZ);
  const rowStart = addr(c, Cfg.NZ_ROW);
  let k = 0;
  for (let y = 0; y < H; y++) {
    store<i32>(f32At(rowStart, y), k);
    for (let col = 0; col < W; col++) {
      const v = load<f32>(f32At(x, y * W + col));
      // Written unconditionally and kept only if nonzero: no branch on the pixel value.
      const entry = nz + (<usize>k << 3);
      store<i32>(entry, col);
      store<f32>(entry, v, 4);
      k += i32(v != 0);
    }
  }
  store<i32>(f32At(rowStart, H), k);

  const KW = cfg(c, Cfg.KW1);
  const span = (cfg(c, Cfg.OW1) - 1) * cfg(c, Cfg.S1);
  const range = addr(c, Cfg.NZ_RANGE);
  for (let y = 0; y < H; y++) {
    const end = load<i32>(f32At(rowStart, y + 1));
    let lo = load<i32>(f32At(rowStart, y));
    let hi = lo;
    // Both bounds only move right as kx grows: one sweep per row.
    for (let kx = 0; kx < KW; kx++) {
      while (lo < end && load<i32>(nz + (<usize>lo << 3)) < kx) lo++;
      while (hi < end && load<i32>(nz + (<usize>hi << 3)) <= kx + span) hi++;
      const r = range + (<usize>(y * KW + kx) << 3);
      store<i32>(r, lo);
      store<i32>(r, hi, 4);
    }
  }
}
