import { la, lf, L } from './stack-config';
import { mask4, relu4 } from './simd';
import { tanh4 } from './stack-tanh';

// Elementwise layers and flatten. Activations and their gradients are NIN floats (the padded
// count: (H,W,CP), or a flat vector rounded up to whole vectors), padded lanes +0.

/** out = max(0, in) as the reference writes it (in <= 0 ? 0 : in, a NaN kept). */
export function reluForward(l: usize): void {
  const inp = la(l, L.IN), out = la(l, L.OUT);
  const end = <usize>lf(l, L.NIN) << 2;
  for (let i: usize = 0; i < end; i += 16) v128.store(out + i, relu4(v128.load(inp + i)));
}

/** din = out > 0 ? dout : 0 */
export function reluBackward(l: usize): void {
  const din = la(l, L.DIN);
  if (din == 0) return;
  const out = la(l, L.OUT), dout = la(l, L.DOUT);
  const end = <usize>lf(l, L.NIN) << 2;
  for (let i: usize = 0; i < end; i += 16) v128.store(din + i, mask4(v128.load(dout + i), v128.load(out + i)));
}

/**
 * out = tanh(in). Versions: plain, in f64 by AssemblyScript's Math.tanh (musl's, arithmetic only:
 * no tables, so the module keeps no data segments) and rounded once to f32, as the reference rounds
 * V8's Math.tanh; fast, four lanes in f32 (stack-tanh.ts, within 2 ulp of the plain one):
 * opacus-mnist-tanh's first tanh, 3,136 values, 45.7 -> 6.6 us per MNIST sample, FMA build
 * (`node dist/bench/research/stack-phases.js --preset opacus-mnist-tanh`, fast against plain).
 */
export function tanhForward(l: usize, plain: bool): void {
  const inp = la(l, L.IN), out = la(l, L.OUT);
  const end = <usize>lf(l, L.NIN) << 2;
  if (plain) {
    for (let i: usize = 0; i < end; i += 4) store<f32>(out + i, <f32>Math.tanh(<f64>load<f32>(inp + i)));
  } else {
    for (let i: usize = 0; i < end; i += 16) v128.store(out + i, tanh4(v128.load(inp + i)));
  }
}

/** din = dout * (1 - out^2), in f64 and rounded once, as the reference computes it. */
export function tanhBackward(l: usize): void {
  const din = la(l, L.DIN);
  if (din == 0) return;
  const out = la(l, L.OUT), dout = la(l, L.DOUT);
  const end = <usize>lf(l, L.NIN) << 2;
  for (let i: usize = 0; i < end; i += 4) {
    const o = <f64>load<f32>(out + i);
    store<f32>(din + i, <f32>(<f64>load<f32>(dout + i) * (1 - o * o)));
  }
}

/**
 * out[c*H*W + y*W + x] = in[y, x, c]: channel-last to the Sequential order that the dense layer's
 * weights expect. A flatten of a flat vector shares its buffers (IN == OUT) and does nothing.
 */
export function flattenForward(l: usize): void {
  const inp = la(l, L.IN), out = la(l, L.OUT);
  if (inp == out) return;
  const C = lf(l, L.C), CP = lf(l, L.CP), positions = lf(l, L.H) * lf(l, L.W);
  for (let c = 0; c < C; c++) {
    const plane = out + (<usize>(c * positions) << 2);
    for (let p = 0; p < positions; p++) store<f32>(plane + (<usize>p << 2), load<f32>(inp + (<usize>(p * CP + c) << 2)));
  }
}

/** din[y, x, c] = dout[c*H*W + y*W + x]; din's padded lanes are never written, so they stay +0. */
export function flattenBackward(l: usize): void {
  const din = la(l, L.DIN), dout = la(l, L.DOUT);
  if (din == 0 || din == dout) return;
  const C = lf(l, L.C), CP = lf(l, L.CP), positions = lf(l, L.H) * lf(l, L.W);
  for (let c = 0; c < C; c++) {
    const plane = dout + (<usize>(c * positions) << 2);
    for (let p = 0; p < positions; p++) store<f32>(din + (<usize>(p * CP + c) << 2), load<f32>(plane + (<usize>p << 2)));
  }
}
