// Per-sample clipping in the pool threads, privacy/clip.ts's clipGradient in wasm SIMD: the same
// factor, the squares summed in another order (f64 in four lanes), so norms agree to rounding.

/** As privacy/clip.ts's CLIP_MARGIN. */
const CLIP_MARGIN: f64 = 1.0 / <f64>(1 << 20);

/**
 * The L2 norm of the n floats at `grad`; when maxNorm > 0 and the norm exceeds it, scales them in
 * place to norm maxNorm * (1 - CLIP_MARGIN), each product taken in f64 and rounded once.
 */
export function clipSlot(grad: usize, n: i32, maxNorm: f64): f64 {
  const n4 = n & ~3;
  let a = f64x2.splat(0);
  let b = f64x2.splat(0);
  for (let j = 0; j < n4; j += 4) {
    const v = v128.load(grad + (<usize>j << 2));
    const lo = f64x2.promote_low_f32x4(v);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
    a = f64x2.add(a, f64x2.mul(lo, lo));
    b = f64x2.add(b, f64x2.mul(hi, hi));
  }
  let squares = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1) + f64x2.extract_lane(b, 0) + f64x2.extract_lane(b, 1);
  for (let j = n4; j < n; j++) {
    const x = <f64>load<f32>(grad + (<usize>j << 2));
    squares += x * x;
  }
  const norm = Math.sqrt(squares);
  if (maxNorm > 0 && norm > maxNorm) {
    const factor = (maxNorm / norm) * (1 - CLIP_MARGIN);
    const f = f64x2.splat(factor);
    for (let j = 0; j < n4; j += 4) {
      const at = grad + (<usize>j << 2);
      const v = v128.load(at);
      const lo = f64x2.mul(f64x2.promote_low_f32x4(v), f);
      const hi = f64x2.mul(f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3)), f);
      v128.store(at, v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
    }
    for (let j = n4; j < n; j++) {
      const at = grad + (<usize>j << 2);
      store<f32>(at, <f32>(<f64>load<f32>(at) * factor));
    }
  }
  return norm;
}
