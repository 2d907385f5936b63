// The sum of gradient slots laid out by model/slot-layout.ts, bitwise optim/average-slots.ts's
// addSlots in float32: the runs of values held as they are go through optim.ts's addSlots, and a
// dense weight's values are formed from their factors as the dense kernels form them (one f32
// rounding, + 0) before the same f64 additions in sample order.
import { addSlots } from './optim';
import { madd, widenHigh as high, widenLow as low } from './simd';
import { copyCount, copyField, Copy, outerCount, outerField, Outer } from './slot-layout';

/**
 * Coordinates [first, last) of the gradients in slots [from, to) into sum (f64, indexed by
 * parameter): slot `from` starts the sum when `fresh`, else it adds to what the sum holds. slots is
 * slot 0's address, slots are `stride` floats apart, and `layout` is their layout's words.
 */
export function addLaidOutSlots(sum: usize, slots: usize, stride: i32, layout: usize, first: i32, last: i32, from: i32, to: i32, fresh: bool): void {
  for (let c = 0; c < copyCount(layout); c++) {
    const parameter = copyField(layout, c, Copy.PARAMETER);
    const lo = max(first, parameter);
    const hi = min(last, parameter + copyField(layout, c, Copy.LENGTH));
    if (lo >= hi) continue;
    const slotAt = copyField(layout, c, Copy.SLOT) + lo - parameter;
    addSlots(sum + (<usize>lo << 3), slots + (<usize>slotAt << 2), stride, hi - lo, from, to, fresh);
  }
  for (let o = 0; o < outerCount(layout); o++) {
    const parameter = outerField(layout, o, Outer.PARAMETER);
    const columns = outerField(layout, o, Outer.COLUMNS);
    const lo = max(first, parameter) - parameter;
    const hi = min(last, parameter + outerField(layout, o, Outer.ROWS) * columns) - parameter;
    if (lo >= hi) continue;
    const input = slots + (<usize>outerField(layout, o, Outer.INPUT) << 2);
    const output = slots + (<usize>outerField(layout, o, Outer.OUTPUT) << 2);
    const weightSum = sum + (<usize>parameter << 3);
    for (let r = lo / columns; r * columns < hi; r++) {
      const j0 = max(lo - r * columns, 0);
      const j1 = min(hi - r * columns, columns);
      for (let s = from; s < to; s += 32) {
        addOuterRow(weightSum + (<usize>(r * columns) << 3), input, output + (<usize>r << 2), stride, j0, j1, s, min(to, s + 32), fresh && s == from);
      }
    }
  }
}

/**
 * Columns [j0, j1) of one row of a dense weight's sum: row[j] (+)= g_s a_s[j] for slots s in
 * [from, to) (at most 32), where g_s is the float at `g` and a_s the floats at `a` in slot s.
 * Sixteen columns of the sum stay in eight f64x2 registers while the run's slots are added to them,
 * as in optim.ts's addSlots, whose loads this replaces by the products.
 *
 * A fresh sum starts from +0, so it is never -0, and the slots whose g_s is zero are skipped: their
 * products are +0 (the rounding's + 0 makes a zero product positive), which would leave the sum
 * as it is (a non-finite a_s, whose g_s a_s would be NaN, makes the sample's loss non-finite, and
 * that stops the step before its mean is used). Behind a ReLU about 40% of a dense layer's output
 * gradients are zero.
 */
function addOuterRow(row: usize, a: usize, g: usize, stride: i32, j0: i32, j1: i32, from: i32, to: i32, fresh: bool): void {
  const slotBytes = <usize>stride << 2;
  const firstSlot = <usize>from * slotBytes;
  let nonzero: u32 = 0;
  for (let s = 0; s < to - from; s++) nonzero |= <u32>(load<f32>(g + firstSlot + <usize>s * slotBytes) != 0) << s;
  if (nonzero == 0) {
    if (fresh) for (let j = j0; j < j1; j++) store<f64>(row + (<usize>j << 3), 0);
    return;
  }
  const zero = f32x4.splat(0);
  const zero64 = f64x2.splat(0);
  let j = j0;
  for (; j + 16 <= j1; j += 16) {
    const at = row + (<usize>j << 3);
    const column = a + firstSlot + (<usize>j << 2);
    let s0: v128, s1: v128, s2: v128, s3: v128, s4: v128, s5: v128, s6: v128, s7: v128;
    if (fresh) {
      s0 = zero64; s1 = zero64; s2 = zero64; s3 = zero64; s4 = zero64; s5 = zero64; s6 = zero64; s7 = zero64;
    } else {
      s0 = v128.load(at); s1 = v128.load(at, 16); s2 = v128.load(at, 32); s3 = v128.load(at, 48);
      s4 = v128.load(at, 64); s5 = v128.load(at, 80); s6 = v128.load(at, 96); s7 = v128.load(at, 112);
    }
    for (let left = nonzero; left != 0; left &= left - 1) {
      const slot = <usize>ctz(left) * slotBytes;
      const x = v128.load32_splat(g + firstSlot + slot);
      const p = column + slot;
      const v0 = madd(x, v128.load(p), zero), v1 = madd(x, v128.load(p, 16), zero);
      const v2 = madd(x, v128.load(p, 32), zero), v3 = madd(x, v128.load(p, 48), zero);
      s0 = f64x2.add(s0, low(v0));
      s1 = f64x2.add(s1, high(v0));
      s2 = f64x2.add(s2, low(v1));
      s3 = f64x2.add(s3, high(v1));
      s4 = f64x2.add(s4, low(v2));
      s5 = f64x2.add(s5, high(v2));
      s6 = f64x2.add(s6, low(v3));
      s7 = f64x2.add(s7, high(v3));
    }
    v128.store(at, s0); v128.store(at, s1, 16); v128.store(at, s2, 32); v128.store(at, s3, 48);
    v128.store(at, s4, 64); v128.store(at, s5, 80); v128.store(at, s6, 96); v128.store(at, s7, 112);
  }
  for (; j < j1; j++) {
    const at = row + (<usize>j << 3);
    const column = a + firstSlot + (<usize>j << 2);
    let x: f64 = fresh ? 0 : load<f64>(at);
    for (let left = nonzero; left != 0; left &= left - 1) {
      const slot = <usize>ctz(left) * slotBytes;
      x += <f64>(load<f32>(g + firstSlot + slot) * load<f32>(column + slot) + 0);
    }
    store<f64>(at, x);
  }
}
