// Per-sample clipping in the pool threads, privacy/clip.ts's clipSlot in wasm SIMD: the same
// factor, the squares summed in another order and the scaled values rounded from an f32 product,
// so norms and values agree with the reference to rounding.
import { widenHigh, widenLow } from './simd';
import { copyCount, copyField, Copy, outerCount, outerField, Outer } from './slot-layout';

/**
 * As privacy/clip.ts's CLIP_MARGIN. Here it also covers this kernel's own rounding: the squares
 * are summed in f32 over blocks of 64 values (16 squares per lane and the four lanes' sums, 18
 * roundings: a relative error of at most 18 x 2^-24, so the norm is within 9 x 2^-24 of exact
 * either way), the factor is rounded to f32 and so is each product. A gradient is left alone only
 * when its computed norm is at most maxNorm * (1 - 2^-20), and scaled to that otherwise, so its
 * true norm ends below maxNorm * (1 - 2^-20) * (1 + 9 x 2^-24) * (1 + 2^-23) * (1 + 2^-24) < maxNorm
 * (the last factor: a dense weight's values are formed from the scaled factors, clipSlot below).
 * That holds while the f32 squares neither overflow nor lose what falls below f32's range
 * (SAFE_SQUARES); clipSlot sums the squares in f64 otherwise.
 */
const CLIP_MARGIN: f64 = 1.0 / <f64>(1 << 20);

/**
 * Squares below f32's normal range lose at most 2^-149 each, so a sum of n of them is within the
 * rounding above when it is at least n x 2^-125; 2^-90 covers slots of up to 2^35 values.
 */
const SAFE_SQUARES: f64 = 1.0 / <f64>(<u64>1 << 45) / <f64>(<u64>1 << 45);

@inline function addSquares(acc: v128, v: v128): v128 {
  return f32x4.add(acc, f32x4.mul(v, v));
}

/**
 * The sum of squares of the n floats at `at`. Each block of 64 values is summed in f32 in four
 * independent chains, and the blocks in f64: summing in f64 throughout, each value widened, took
 * 4 us for opacus-mnist's 26,010 parameters, 7% of the sample's gradient.
 */
function squares(at: usize, n: i32): f64 {
  const n64 = n & ~63;
  let lo = f64x2.splat(0);
  let hi = f64x2.splat(0);
  for (let j = 0; j < n64; j += 64) {
    const p = at + (<usize>j << 2);
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
    for (let k: usize = 0; k < 256; k += 64) {
      c0 = addSquares(c0, v128.load(p + k));
      c1 = addSquares(c1, v128.load(p + k, 16));
      c2 = addSquares(c2, v128.load(p + k, 32));
      c3 = addSquares(c3, v128.load(p + k, 48));
    }
    const block = f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3));
    lo = f64x2.add(lo, widenLow(block));
    hi = f64x2.add(hi, widenHigh(block));
  }
  const sum = f64x2.add(lo, hi);
  let total = f64x2.extract_lane(sum, 0) + f64x2.extract_lane(sum, 1);
  for (let j = n64; j < n; j++) {
    const x = <f64>load<f32>(at + (<usize>j << 2));
    total += x * x;
  }
  return total;
}

/**
 * The sum of squares of the n floats at `at`, each widened to f64: for a dense weight's factors,
 * whose product's rounding would otherwise be that of two f32 block sums, more than the margin
 * allows for; they are a small part of the slot.
 */
function squaresF64(at: usize, n: i32): f64 {
  const n4 = n & ~3;
  let lo = f64x2.splat(0);
  let hi = f64x2.splat(0);
  for (let j = 0; j < n4; j += 4) {
    const v = v128.load(at + (<usize>j << 2));
    const l = widenLow(v);
    const h = widenHigh(v);
    lo = f64x2.add(lo, f64x2.mul(l, l));
    hi = f64x2.add(hi, f64x2.mul(h, h));
  }
  const sum = f64x2.add(lo, hi);
  let total = f64x2.extract_lane(sum, 0) + f64x2.extract_lane(sum, 1);
  for (let j = n4; j < n; j++) {
    const x = <f64>load<f32>(at + (<usize>j << 2));
    total += x * x;
  }
  return total;
}

/** The n floats at `at`, each times `factor`. */
function scale(at: usize, n: i32, factor: f32): void {
  const f = f32x4.splat(factor);
  const n16 = n & ~15;
  for (let j = 0; j < n16; j += 16) {
    const p = at + (<usize>j << 2);
    const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48);
    v128.store(p, f32x4.mul(v0, f));
    v128.store(p, f32x4.mul(v1, f), 16);
    v128.store(p, f32x4.mul(v2, f), 32);
    v128.store(p, f32x4.mul(v3, f), 48);
  }
  for (let j = n16; j < n; j++) {
    const p = at + (<usize>j << 2);
    store<f32>(p, load<f32>(p) * factor);
  }
}

/**
 * The L2 norm of the gradient in the slot at `slot`, laid out as the words at `layout` say
 * (slot-layout.ts); when maxNorm > 0 and the norm exceeds it, scales the slot in place to norm at
 * most maxNorm. A dense weight's part is |g|^2 |a|^2, and scaling its g (the bias's values, a
 * copy) scales it: its values, formed from the scaled g where the slots are summed, take one more
 * f32 rounding (2^-24), which the margin covers as well.
 */
export function clipSlot(slot: usize, layout: usize, maxNorm: f64): f64 {
  let total: f64 = 0;
  for (let c = 0; c < copyCount(layout); c++) {
    total += squares(slot + (<usize>copyField(layout, c, Copy.SLOT) << 2), copyField(layout, c, Copy.LENGTH));
  }
  // Tiny or huge values (a sum below SAFE_SQUARES, or an f32 square that overflowed): each widened.
  if (!(total >= SAFE_SQUARES && total < Infinity)) {
    total = 0;
    for (let c = 0; c < copyCount(layout); c++) {
      total += squaresF64(slot + (<usize>copyField(layout, c, Copy.SLOT) << 2), copyField(layout, c, Copy.LENGTH));
    }
  }
  for (let o = 0; o < outerCount(layout); o++) {
    const g = squaresF64(slot + (<usize>outerField(layout, o, Outer.OUTPUT) << 2), outerField(layout, o, Outer.ROWS));
    total += g * squaresF64(slot + (<usize>outerField(layout, o, Outer.INPUT) << 2), outerField(layout, o, Outer.COLUMNS));
  }
  const norm = Math.sqrt(total);
  const target = maxNorm * (1 - CLIP_MARGIN);
  if (maxNorm > 0 && norm > target) {
    const factor = <f32>(target / norm);
    for (let c = 0; c < copyCount(layout); c++) {
      scale(slot + (<usize>copyField(layout, c, Copy.SLOT) << 2), copyField(layout, c, Copy.LENGTH), factor);
    }
  }
  return norm;
}
