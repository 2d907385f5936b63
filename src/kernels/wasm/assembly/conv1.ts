import { addr, cfg, Cfg, f32At } from './config';
import { kernelGradientPixelPairs, scatterPixelPairs } from './conv1-pixel-pairs';
import { kernelGradientRows, scatterRows } from './conv1-plain';
import { windowForward, windowsPay } from './conv1-windows';
import { mask4, relu4, storeLanes } from './simd';

// conv1 over the single-channel image, channel-last: a1 is (OH1,OW1,F1P) with row stride RS1 and
// margins (config.ts), w1p is (KH1,KW1,F1P) and b1p (F1P), both repacked from kern (F1,KH1,KW1) and
// kb by prepare(). The filters are the f32x4 lanes. The image is read only through loadInput's
// nonzero-pixel lists (scatter form): a pixel v at (y,x) meets tap (ky,kx) at output
// (oy,ox) = ((y-ky)/S1, (x-kx)/S1) when that divides evenly. MNIST is ~80% exact zeros.
//
// Versions, chosen here and nowhere else (loadInput builds the lists of the one that runs):
//   plain        any shape: row by row over each input row's pixels that reach an output column
//                (conv1-plain.ts);
//   pixel pairs  16 filters, stride 1, the seed's: one pass per pair of taps (conv1-pixel-pairs.ts);
//   windows      the same shapes, forward only, images up to 63 pixels wide: by pairs of outputs
//                over whole window rows (conv1-windows.ts), for images where it has less to do.
// The passes over every position (bias, ReLU, ReLU mask with the bias gradient) hold all four
// lane groups in registers when there are 16 filters, at any stride, and go lane group by lane
// group otherwise. kernel-versions.ts exports each version alone, for the tests.

/** Whether conv1 runs the pixel-pair versions, which need loadInput's NZB and NZP lists. */
@inline export function usesPixelPairs(c: usize): bool {
  return cfg(c, Cfg.F1P) == 16 && cfg(c, Cfg.S1) == 1;
}

/** Whether conv1's forward may run the window version (windowsPay decides per image), which reads loadInput's IMAGE and ROWS. */
@inline export function usesWindows(c: usize): bool {
  return usesPixelPairs(c) && cfg(c, Cfg.W) < 64;
}

/** a1[oy,ox,f] = relu(b[f] + sum_{ky,kx} w[f,ky,kx] * x[oy*S1+ky, ox*S1+kx]) */
export function conv1Forward(c: usize): void {
  if (usesWindows(c) && windowsPay(c)) {
    windowForward(c);
    return;
  }
  if (cfg(c, Cfg.F1P) == 16) fillBias16(c);
  else fillBiasPlain(c);
  if (usesPixelPairs(c)) scatterPixelPairs(c);
  else scatterRows(c);
  applyRelu(c);
}

/**
 * Differentiates conv1Forward; writes (not accumulates) kern and kb of the gradient slot.
 * da1 is as conv2Backward left it; the ReLU mask is applied here, in place.
 *   kb[f] = sum_{oy,ox} dout[oy,ox,f]
 *   kern[f,ky,kx] = sum_{oy,ox} dout[oy,ox,f] * x[oy*S1+ky, ox*S1+kx]   (nonzero pixels only)
 */
export function conv1Backward(c: usize, slot: usize): void {
  if (cfg(c, Cfg.F1P) == 16) maskAndBiasGradient16(c, slot);
  else maskAndBiasGradientPlain(c, slot);
  if (usesPixelPairs(c)) kernelGradientPixelPairs(c, slot);
  else kernelGradientRows(c, slot);
}

/** a1 = b at every position, the four bias vectors in registers. */
@inline export function fillBias16(c: usize): void {
  const OH = cfg(c, Cfg.OH1);
  const rowFloats = cfg(c, Cfg.OW1) * 16;
  const rowStride = cfg(c, Cfg.RS1) * 16;
  const a1 = addr(c, Cfg.A1);
  const b1p = addr(c, Cfg.B1P);
  const b0 = v128.load(b1p);
  const b1 = v128.load(b1p, 16);
  const b2 = v128.load(b1p, 32);
  const b3 = v128.load(b1p, 48);
  for (let oy = 0; oy < OH; oy++) {
    const row = f32At(a1, oy * rowStride);
    for (let i = 0; i < rowFloats; i += 16) {
      const p = f32At(row, i);
      v128.store(p, b0);
      v128.store(p, b1, 16);
      v128.store(p, b2, 32);
      v128.store(p, b3, 48);
    }
  }
}

/** a1 = b at every position, one lane group at a time. */
@inline export function fillBiasPlain(c: usize): void {
  const OH = cfg(c, Cfg.OH1);
  const FP = cfg(c, Cfg.F1P);
  const rowFloats = cfg(c, Cfg.OW1) * FP;
  const rowStride = cfg(c, Cfg.RS1) * FP;
  const a1 = addr(c, Cfg.A1);
  const b1p = addr(c, Cfg.B1P);
  for (let j = 0; j < FP; j += 4) {
    const b = v128.load(f32At(b1p, j));
    for (let oy = 0; oy < OH; oy++) {
      const row = f32At(a1, oy * rowStride);
      for (let i = j; i < rowFloats; i += FP) v128.store(f32At(row, i), b);
    }
  }
}

@inline export function applyRelu(c: usize): void {
  const OH = cfg(c, Cfg.OH1);
  const rowFloats = cfg(c, Cfg.OW1) * cfg(c, Cfg.F1P);
  const rowStride = cfg(c, Cfg.RS1) * cfg(c, Cfg.F1P);
  const a1 = addr(c, Cfg.A1);
  for (let oy = 0; oy < OH; oy++) {
    const row = f32At(a1, oy * rowStride);
    for (let i = 0; i < rowFloats; i += 4) {
      const p = f32At(row, i);
      v128.store(p, relu4(v128.load(p)));
    }
  }
}

/**
 * da1 = da1 where a1 > 0, else 0; kb = the sum of that over every position. One pass with the four
 * bias sums in registers: 1.1 us per MNIST sample less than one pass per lane group
 * (`node dist/bench/research/kernel-phases.js`, conv1 bwd).
 */
@inline export function maskAndBiasGradient16(c: usize, slot: usize): void {
  const OH = cfg(c, Cfg.OH1);
  const F = cfg(c, Cfg.F1);
  const rowFloats = cfg(c, Cfg.OW1) * 16;
  const rowStride = cfg(c, Cfg.RS1) * 16;
  const a1 = addr(c, Cfg.A1);
  const da1 = addr(c, Cfg.DA1);
  const kb = f32At(slot, cfg(c, Cfg.O_KB));
  let b0 = f32x4.splat(0);
  let b1 = f32x4.splat(0);
  let b2 = f32x4.splat(0);
  let b3 = f32x4.splat(0);
  for (let oy = 0; oy < OH; oy++) {
    const rowA = f32At(a1, oy * rowStride);
    const rowD = f32At(da1, oy * rowStride);
    for (let i = 0; i < rowFloats; i += 16) {
      const a = f32At(rowA, i);
      const p = f32At(rowD, i);
      const d0 = mask4(v128.load(p), v128.load(a));
      const d1 = mask4(v128.load(p, 16), v128.load(a, 16));
      const d2 = mask4(v128.load(p, 32), v128.load(a, 32));
      const d3 = mask4(v128.load(p, 48), v128.load(a, 48));
      v128.store(p, d0);
      v128.store(p, d1, 16);
      v128.store(p, d2, 32);
      v128.store(p, d3, 48);
      b0 = f32x4.add(b0, d0);
      b1 = f32x4.add(b1, d1);
      b2 = f32x4.add(b2, d2);
      b3 = f32x4.add(b3, d3);
    }
  }
  storeLanes(b0, kb, 4, F);
  storeLanes(b1, kb + 16, 4, F - 4);
  storeLanes(b2, kb + 32, 4, F - 8);
  storeLanes(b3, kb + 48, 4, F - 12);
}

/** maskAndBiasGradient16 for any filter count, one lane group at a time. */
@inline export function maskAndBiasGradientPlain(c: usize, slot: usize): void {
  const OH = cfg(c, Cfg.OH1);
  const F = cfg(c, Cfg.F1);
  const FP = cfg(c, Cfg.F1P);
  const rowFloats = cfg(c, Cfg.OW1) * FP;
  const rowStride = cfg(c, Cfg.RS1) * FP;
  const a1 = addr(c, Cfg.A1);
  const da1 = addr(c, Cfg.DA1);
  const kb = f32At(slot, cfg(c, Cfg.O_KB));
  for (let j = 0; j < FP; j += 4) {
    let bias = f32x4.splat(0);
    for (let oy = 0; oy < OH; oy++) {
      for (let i = oy * rowStride + j; i < oy * rowStride + rowFloats; i += FP) {
        const p = f32At(da1, i);
        const d = mask4(v128.load(p), v128.load(f32At(a1, i)));
        v128.store(p, d);
        bias = f32x4.add(bias, d);
      }
    }
    storeLanes(bias, f32At(kb, j), 4, F - j);
  }
}
