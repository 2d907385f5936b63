import { addr, cfg, Cfg, ENTRY_SHIFT, f32At, PAIR_ENTRY_SHIFT, RANGE_SHIFT, TABLE_HEADER_BYTES } from './config';
import { usesPixelPairs } from './conv1';

/** How the JS side copied the sample's pixels into the PIXELS staging area. */
export const enum PixelKind {
  U8 = 0,
  F32 = 1,
  F64 = 2,
}

/**
 * Lists the image's nonzero pixels, the only thing conv1 reads (MNIST is ~80% exact zeros).
 * Each value is pixel / divisor, divided in f64 and rounded once to f32 as the reference's
 * Float32Array store does (for bytes, looked up in a table of all 256 quotients).
 * For conv1's pixel-pair version (stride 1, 16 filters), whose margins make ranges unnecessary
 * (config.ts, A1):
 *   NZB: (byte offset of position (y,x) in a1's grid, value), row by row;
 *   NZP: (byte offset of (y,x), value at x, value at x+1) for every x where either is nonzero
 *        (x+1 = W counts as zero): a pair of taps (kx, kx+1) sends both to output x-kx, so one
 *        read-modify-write serves two taps;
 *   NZ_ROW[y]: index of row y's first entry, NZ_ROW[H] the NZB count, NZ_ROW[H+1] the NZP count;
 *   NZP_ROW[y]: index of row y's first NZP entry, NZP_ROW[H] the NZP count;
 *   IMAGE and ROWS: every value, and each row's nonzero pixels as bits (config.ts), for the
 *        window versions (conv1-windows.ts), which read whole window rows instead of lists;
 * For conv1's plain version:
 *   NZ, NZ_RANGE: (column, value) entries, and for each row y and kernel
 *        column kx the range [lo, hi) of the row's entries with kx <= x <= kx + (OW1-1)*S1,
 *        i.e. those that reach some conv1 output column.
 */
@inline function pixel(pixels: usize, kind: i32, divisor: f64, table: usize, i: i32): f32 {
  if (kind == PixelKind.U8) return load<f32>(table + TABLE_HEADER_BYTES + (<usize>load<u8>(pixels + <usize>i) << 2));
  if (kind == PixelKind.F32) return <f32>(<f64>load<f32>(f32At(pixels, i)) / divisor);
  return <f32>(load<f64>(pixels + (<usize>i << 3)) / divisor);
}

export function loadInput(c: usize, kind: i32, divisor: f64): void {
  listPixels(c, kind, divisor, usesPixelPairs(c));
}

/** loadInput with the lists of one conv1 version; kernel-versions.ts asks for either. */
@inline export function listPixels(c: usize, kind: i32, divisor: f64, pixelPairs: bool): void {
  const H = cfg(c, Cfg.H);
  const W = cfg(c, Cfg.W);
  const pixels = addr(c, Cfg.PIXELS);
  const nz = addr(c, Cfg.NZ);
  const nzb = addr(c, Cfg.NZB);
  const rowStart = addr(c, Cfg.NZ_ROW);
  const positionBytes = cfg(c, Cfg.F1P) << 2;
  const rowBytes = cfg(c, Cfg.RS1) * positionBytes;
  const table = addr(c, Cfg.TABLE);
  if (kind == PixelKind.U8 && load<f64>(table) != divisor) {
    for (let b = 0; b < 256; b++) store<f32>(table + TABLE_HEADER_BYTES + (<usize>b << 2), <f32>(<f64>b / divisor));
    store<f64>(table, divisor);
  }
  const nzp = addr(c, Cfg.NZP);
  const image = addr(c, Cfg.IMAGE);
  const rows = addr(c, Cfg.ROWS);
  const imageRow = <usize>(W + 1) << 2;
  const pairRowStart = addr(c, Cfg.NZP_ROW);
  let k = 0;
  let pairs = 0;
  for (let y = 0; y < H; y++) {
    store<i32>(f32At(rowStart, y), k);
    if (pixelPairs && W < 64) {
      // The row's values and its bits of nonzero pixels first, then its entries by walking the
      // bits, so that zero pixels (most of MNIST's) cost no entry work.
      store<i32>(f32At(pairRowStart, y), pairs);
      const values = image + <usize>y * imageRow;
      const at = y * rowBytes;
      let bits: u64 = 0;
      for (let col = 0; col < W; col++) {
        const v = pixel(pixels, kind, divisor, table, y * W + col);
        store<f32>(values + (<usize>col << 2), v);
        bits |= <u64>(v != 0) << <u64>col;
      }
      store<f32>(values + (<usize>W << 2), 0);
      store<u64>(rows + (<usize>y << 3), bits);
      for (let left = bits; left != 0; left &= left - 1) {
        const x = <i32>ctz(left);
        store<i64>(nzb + (<usize>k << ENTRY_SHIFT), (<i64>load<i32>(values + (<usize>x << 2)) << 32) | <i64><u32>(at + x * positionBytes));
        k++;
      }
      // Pair x is listed when pixel x or x + 1 is nonzero; IMAGE's zero column is the last pixel's
      // right neighbour. One 16-byte store of (offset, value, right neighbour, 0).
      for (let left = bits | (bits >> 1); left != 0; left &= left - 1) {
        const x = <i32>ctz(left);
        const both = v128.load64_zero(values + (<usize>x << 2));
        v128.store(nzp + (<usize>pairs << PAIR_ENTRY_SHIFT), i32x4.replace_lane(v128.shuffle<i32>(both, both, 0, 0, 1, 2), 0, at + x * positionBytes));
        pairs++;
      }
    } else if (pixelPairs) {
      store<i32>(f32At(pairRowStart, y), pairs);
      let at = y * rowBytes;
      let v = pixel(pixels, kind, divisor, table, y * W);
      const values = image + <usize>y * imageRow;
      let bits: u64 = 0;
      for (let col = 0; col < W; col++) {
        store<f32>(values + (<usize>col << 2), v);
        bits |= <u64>(v != 0) << <u64>col;
        const right: f32 = col + 1 < W ? pixel(pixels, kind, divisor, table, y * W + col + 1) : 0;
        // Written unconditionally and kept only if nonzero: no branch on the pixel value.
        const entry = nzb + (<usize>k << ENTRY_SHIFT);
        store<i32>(entry, at);
        store<f32>(entry, v, 4);
        k += i32(v != 0);
        const pair = nzp + (<usize>pairs << PAIR_ENTRY_SHIFT);
        store<i32>(pair, at);
        store<f32>(pair, v, 4);
        store<f32>(pair, right, 8);
        pairs += i32(v != 0) | i32(right != 0);
        at += positionBytes;
        v = right;
      }
      store<f32>(values + (<usize>W << 2), 0);
      store<u64>(rows + (<usize>y << 3), bits); // only read when W < 64 (usesWindows)
    } else {
      for (let col = 0; col < W; col++) {
        const v = pixel(pixels, kind, divisor, table, y * W + col);
        const entry = nz + (<usize>k << ENTRY_SHIFT);
        store<i32>(entry, col);
        store<f32>(entry, v, 4);
        k += i32(v != 0);
      }
    }
  }
  store<i32>(f32At(rowStart, H), k);
  store<i32>(f32At(rowStart, H + 1), pairs);
  store<i32>(f32At(pairRowStart, H), pairs);
  if (pixelPairs) return;

  const KW = cfg(c, Cfg.KW1);
  const span = (cfg(c, Cfg.OW1) - 1) * cfg(c, Cfg.S1);
  const range = addr(c, Cfg.NZ_RANGE);
  for (let y = 0; y < H; y++) {
    const end = load<i32>(f32At(rowStart, y + 1));
    let lo = load<i32>(f32At(rowStart, y));
    let hi = lo;
    // Both bounds only move right as kx grows: one sweep per row.
    for (let kx = 0; kx < KW; kx++) {
      while (lo < end && load<i32>(nz + (<usize>lo << ENTRY_SHIFT)) < kx) lo++;
      while (hi < end && load<i32>(nz + (<usize>hi << ENTRY_SHIFT)) <= kx + span) hi++;
      const r = range + (<usize>(y * KW + kx) << RANGE_SHIFT);
      store<i32>(r, lo);
      store<i32>(r, hi, 4);
    }
  }
}
