// The only place that knows which SIMD variant is being compiled (asconfig.json builds both).

/** a * b + c per lane: one fused rounding in the relaxed-SIMD build (on FMA hardware), two otherwise. */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** max(0, v) as the reference writes it (v <= 0 ? 0 : v): -0 becomes +0, and a NaN stays NaN, as in PyTorch and numpy. */
@inline export function relu4(v: v128): v128 {
  return v128.andnot(v, f32x4.le(v, f32x4.splat(0)));
}

/** Keeps d where the forward output a was positive (ReLU backward), else +0. */
@inline export function mask4(d: v128, a: v128): v128 {
  return v128.and(d, f32x4.gt(a, f32x4.splat(0)));
}

/** Lanes 0 and 1 of an f32x4, widened to f64x2. */
@inline export function widenLow(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}

/** The two f32 at p + offset, widened to f64x2: a load and a conversion, without widenHigh's shuffle. */
@inline export function loadWide(p: usize, offset: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p + offset));
}

/** Lanes 2 and 3 of an f32x4, widened to f64x2. */
@inline export function widenHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

@inline export function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** Stores v0 at p, and v1, v2 and v3 after it as `lanes` (4, 8 or 16, a constant at each call) reach them. */
@inline export function storeBlock(p: usize, v0: v128, v1: v128, v2: v128, v3: v128, lanes: i32): void {
  v128.store(p, v0);
  if (lanes >= 8) v128.store(p, v1, 16);
  if (lanes >= 16) {
    v128.store(p, v2, 32);
    v128.store(p, v3, 48);
  }
}

/** Stores the first `n` (1..4, more is clamped) lanes of v at dst, dst+stride, dst+2*stride, ... */
@inline export function storeLanes(v: v128, dst: usize, strideBytes: usize, n: i32): void {
  store<f32>(dst, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(dst + strideBytes, f32x4.extract_lane(v, 1));
  if (n > 2) store<f32>(dst + 2 * strideBytes, f32x4.extract_lane(v, 2));
  if (n > 3) store<f32>(dst + 3 * strideBytes, f32x4.extract_lane(v, 3));
}
