// The per-instance configuration block: i32 fields at the address every kernel receives as `c`.
// The JS side (../network-layout.ts, CONFIG_FIELDS) writes them in this order; keep the two in step.

export const enum Cfg {
  // Sizes, as model/config.ts derives them; F1P and F2P are the filter counts rounded up to
  // whole f32x4 vectors (padded lanes carry zero weights, so they compute zeros). RS1 is the row
  // stride, in positions, of a1 and da1, which have margins (see A1 below).
  H, W, KH1, KW1, S1, OH1, OW1, F1, F1P, RS1,
  KH2, KW2, S2, OH2, OW2, F2, F2P, CLASSES, DENSE_IN,
  // Offsets of the parameter tensors in the flat parameter buffer, in floats; the convolutions'
  // gradients sit at the same offsets in a gradient slot, the dense layer's at S_W (its input, the
  // weight's factor) and S_B (the bias, the other factor): model/slot-layout.ts.
  O_KERN, O_KB, O_KERN2, O_KB2, O_W, O_B, S_W, S_B,
  // Scratch addresses, in bytes. A1 and DA1 point at position (0,0) of (OH1,OW1,F1P) grids that
  // have KH1-1 spare rows above and below and KW1-1 spare columns left and right (row stride RS1):
  // with stride 1, every (pixel, tap) pair of conv1 then lands inside the buffer, so its loops need
  // no bounds checks. The margins of DA1 stay zero; those of A1 collect values nobody reads.
  // IMAGE is the image's values (H, W+1), a zero column on the right, and ROWS a u64 per image row,
  // bit x set where pixel x is nonzero: conv1's window version (conv1-windows.ts) reads them.
  // NZP_ROW[y] is the index of image row y's first NZP entry, NZP_ROW[H] their count.
  PIXELS, TABLE, NZ, NZ_ROW, NZ_RANGE, NZB, NZP, W1P, B1P, W2F, W2B, B2P, A1, A2, LOGITS, DLOGITS, DA2, DA1, LIST, LISTP, ACC2, BG2,
  IMAGE, ROWS, NZP_ROW,
  COUNT,
}

// Sizes of the scratch's list entries and of the 16-lane layouts, which the JS side allots
// (../network-layout.ts) and the kernels step through. Indices are scaled by shifts, as f32At
// scales floats (<< 2), and the constants are @inline so that each use is a literal: otherwise
// AssemblyScript reads some as globals, binaryen optimises the loops in another order, and the
// compiled kernels are no longer the ones their figures were measured with.

/** One f32. */
@inline export const FLOAT_BYTES: usize = 4;
/** NZ, NZB and LIST entries: (i32 offset, f32 value), 8 bytes; entry i at i << ENTRY_SHIFT. */
@inline export const ENTRY_SHIFT: i32 = 3;
@inline export const ENTRY_BYTES: usize = 1 << ENTRY_SHIFT;
/** NZ_RANGE entries: [lo, hi) as two i32, 8 bytes. */
@inline export const RANGE_SHIFT: i32 = 3;
/** NZP and LISTP entries: (i32 offset, f32, f32, unused), 16 bytes so that one v128 store writes one. */
@inline export const PAIR_ENTRY_SHIFT: i32 = 4;
@inline export const PAIR_ENTRY_BYTES: usize = 1 << PAIR_ENTRY_SHIFT;
/**
 * One position of a1 or da1 when conv1 has 16 filters, 64 bytes: the layout every 16-lane kernel
 * assumes. Its four f32x4 are at +0, +16, +32 and +48, the offsets those kernels' loads and stores
 * carry. w2b's 16 channels of one (tap, filter) have the same size.
 */
@inline export const POSITION16_SHIFT: i32 = 6;
@inline export const POSITION16_BYTES: usize = 1 << POSITION16_SHIFT;
/** TABLE opens with the f64 divisor its quotients were made for, padded to a whole v128. */
@inline export const TABLE_HEADER_BYTES: usize = 16;

@inline export function cfg(c: usize, field: Cfg): i32 {
  return load<i32>(c + (<usize>field << 2));
}

@inline export function addr(c: usize, field: Cfg): usize {
  return <usize>load<u32>(c + (<usize>field << 2));
}

/** Byte address of float `index` of the buffer at `base`. */
@inline export function f32At(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}
