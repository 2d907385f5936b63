import { addr, cfg, Cfg, f32At } from './config';
import { columnForward } from './conv2-columns';
import { pairBackward } from './conv2-pairs';
import { listBackward, plainForward } from './conv2-plain';
import { scatterForward } from './conv2-scatter';

// conv2 over conv1's channel-last output a1 (OH1,OW1,F1P), row stride RS1 (config.ts).
// Forward: the filters are the lanes, with w2f (KH2,KW2,F1P,F2P) from prepare(); a2 is written
// channel-first (F2,OH2,OW2), the seed's flattening, so the dense layer reads the parameters as
// they are.
// Backward: the input channels are the lanes, with w2b (KH2,KW2,F2,F1P).
//
// Versions, chosen here and nowhere else:
//   forward   plain     any shape (conv2-plain.ts);
//             columns   8 filters (conv2-columns.ts);
//             scatter   the seed's shape: 16 channels in, 4x4 taps, stride 2, 8 filters
//                       (conv2-scatter.ts);
//   backward  list      any shape, the tap's channels in registers when there are 16
//                       (conv2-plain.ts);
//             pairs     16 channels in, a kernel two strides wide, and a1's left margin (KW1-1
//                       columns) at least one stride wide (conv2-pairs.ts).
// kernel-versions.ts exports each version alone, for the tests.

/** a2[f,oy,ox] = relu(b[f] + sum_{c,ky,kx} w[f,c,ky,kx] * a1[oy*S2+ky, ox*S2+kx, c]) */
export function conv2Forward(c: usize): void {
  if (cfg(c, Cfg.F2P) != 8) plainForward(c);
  else if (cfg(c, Cfg.F1P) == 16 && cfg(c, Cfg.KH2) == 4 && cfg(c, Cfg.KW2) == 4 && cfg(c, Cfg.S2) == 2) scatterForward(c);
  else columnForward(c);
}

/**
 * Differentiates conv2Forward; writes kern2 and kb2 of the gradient slot and overwrites da1
 * (OH1,OW1,F1P; its margins are never written, so they stay zero) with the gradient of conv1's
 * ReLU output (conv1Backward applies conv1's ReLU mask). da2 is (F2,OH2,OW2), already masked by
 * conv2's ReLU; after that mask most of it is exactly zero, which both versions skip.
 */
export function conv2Backward(c: usize, slot: usize): void {
  clearInputGradient(c);
  const S = cfg(c, Cfg.S2);
  if (cfg(c, Cfg.F1P) == 16 && cfg(c, Cfg.KW2) == 2 * S && cfg(c, Cfg.KW1) - 1 >= S) pairBackward(c, slot);
  else listBackward(c, slot, cfg(c, Cfg.F1P) == 16);
}

/** da1 = 0 inside the grid, where both backward versions add their terms. */
@inline export function clearInputGradient(c: usize): void {
  const RS1 = cfg(c, Cfg.RS1);
  const CP = cfg(c, Cfg.F1P);
  const da1 = addr(c, Cfg.DA1);
  const zero = f32x4.splat(0);
  const rowFloats = cfg(c, Cfg.OW1) * CP;
  for (let y = 0; y < cfg(c, Cfg.OH1); y++) {
    const row = f32At(da1, y * RS1 * CP);
    for (let i = 0; i < rowFloats; i += 4) v128.store(f32At(row, i), zero);
  }
}
