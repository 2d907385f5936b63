import { madd } from './simd';

// tanh of four float32 lanes, in float32 arithmetic with no tables (the module keeps no data
// segments): the fast version of stack-activation.ts's tanhForward, whose plain version rounds
// AssemblyScript's f64 Math.tanh. Against tanh computed in float64 and rounded once, on every 37th
// float32 in (0, 10] (a numpy model of this code, plain SIMD arithmetic): at most 2 ulp, 99.7%
// exact; test/wasm-stack-tanh.test.ts holds the compiled code, both builds, to 2 ulp (it sees 1 ulp
// at most, 99.9% exact, over 131,000 values spread over all float32). It keeps -0, gives +-1 from
// |x| = 9.02 on (as float32 rounding does) and NaN for NaN.
//   |x| < 0.625:  |x| + |x|^3 * Q(x^2), Q a degree-5 least-squares fit of (tanh(a) - a) / a^3
//                 (relative error 5e-10 before rounding);
//   otherwise:    1 - 2 / (exp(2|x|) + 1), exp by Cody-Waite reduction to |r| <= ln2/2, a degree-6
//                 Taylor polynomial and 2^k added to the exponent bits; |x| is clamped at 10
//                 (tanh is 1 in float32 from 9.02) so that exp cannot overflow.

@inline const SMALL: f32 = 0.625;

@inline export function tanh4(x: v128): v128 {
  const sign = v128.and(x, i32x4.splat(0x8000_0000));
  const a = f32x4.abs(x);
  const z = f32x4.mul(a, a);
  let q = f32x4.splat(0.0021780235232509693);
  q = madd(q, z, f32x4.splat(-0.008214972292162056));
  q = madd(q, z, f32x4.splat(0.021715552694680958));
  q = madd(q, z, f32x4.splat(-0.05394939666642397));
  q = madd(q, z, f32x4.splat(0.13333226063577228));
  q = madd(q, z, f32x4.splat(-0.33333331285643714));
  const small = madd(f32x4.mul(a, z), q, a);
  const y = f32x4.mul(f32x4.min(a, f32x4.splat(10)), f32x4.splat(2));
  const k = f32x4.nearest(f32x4.mul(y, f32x4.splat(1.4426950408889634)));
  // ln2 in two parts, the first with trailing zero bits so that k * LN2_HI is exact.
  let r = f32x4.sub(y, f32x4.mul(k, f32x4.splat(0.693145751953125)));
  r = f32x4.sub(r, f32x4.mul(k, f32x4.splat(1.428606765330187e-6)));
  let p = f32x4.splat(<f32>(1.0 / 720));
  p = madd(p, r, f32x4.splat(<f32>(1.0 / 120)));
  p = madd(p, r, f32x4.splat(<f32>(1.0 / 24)));
  p = madd(p, r, f32x4.splat(<f32>(1.0 / 6)));
  p = madd(p, r, f32x4.splat(0.5));
  p = madd(p, r, f32x4.splat(1));
  p = madd(p, r, f32x4.splat(1));
  const e = i32x4.add(p, i32x4.shl(i32x4.trunc_sat_f32x4_s(k), 23));
  const large = f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(e, f32x4.splat(1))));
  return v128.or(v128.bitselect(small, large, f32x4.lt(a, f32x4.splat(SMALL))), sign);
}
