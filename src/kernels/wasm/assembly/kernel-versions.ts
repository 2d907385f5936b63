// A second entry file, for the tests only (test/wasm-fast-paths.test.ts): every version of the conv
// kernels on its own, so that each fast version can be compared with the plain one on a shape whose
// dispatch picks the fast one. `npm run build:wasm` compiles it beside index.ts, the config's entry
// (targets kernel-versions-*), into dist/wasm/kernel-versions-*.wasm: a module with all of
// index.ts's exports and these. The trainer never loads it, and kernels-*.wasm do not contain it.
import { listPixels } from './input';
import { applyRelu, fillBias16, fillBiasPlain, maskAndBiasGradient16, maskAndBiasGradientPlain } from './conv1';
import { kernelGradientPixelPairs, scatterPixelPairs } from './conv1-pixel-pairs';
import { kernelGradientRows, scatterRows } from './conv1-plain';
import { windowForward, windowsPay } from './conv1-windows';
import { clearInputGradient } from './conv2';
import { columnForward } from './conv2-columns';
import { pairBackward } from './conv2-pairs';
import { listBackward, plainForward } from './conv2-plain';
import { scatterForward } from './conv2-scatter';

/** loadInput's lists for conv1's plain version (NZ, NZ_RANGE), whatever the shape. */
export function loadInputPlain(c: usize, kind: i32, divisor: f64): void {
  listPixels(c, kind, divisor, false);
}

/** loadInput's lists for conv1's pixel-pair version (NZB, NZP). */
export function loadInputPixelPairs(c: usize, kind: i32, divisor: f64): void {
  listPixels(c, kind, divisor, true);
}

export function conv1ForwardPlain(c: usize): void {
  fillBiasPlain(c);
  scatterRows(c);
  applyRelu(c);
}

export function conv1ForwardPixelPairs(c: usize): void {
  fillBias16(c);
  scatterPixelPairs(c);
  applyRelu(c);
}

/** conv1's window version; needs loadInputPixelPairs's IMAGE and ROWS. */
export function conv1ForwardWindows(c: usize): void {
  windowForward(c);
}

/** Whether conv1Forward would run the window version for the loaded image. */
export function conv1WindowsPay(c: usize): bool {
  return windowsPay(c);
}

export function conv1BackwardPlain(c: usize, slot: usize): void {
  maskAndBiasGradientPlain(c, slot);
  kernelGradientRows(c, slot);
}

export function conv1BackwardPixelPairs(c: usize, slot: usize): void {
  maskAndBiasGradient16(c, slot);
  kernelGradientPixelPairs(c, slot);
}

export function conv2ForwardPlain(c: usize): void {
  plainForward(c);
}

export function conv2ForwardColumns(c: usize): void {
  columnForward(c);
}

export function conv2ForwardScatter(c: usize): void {
  scatterForward(c);
}

export function conv2BackwardPlain(c: usize, slot: usize): void {
  clearInputGradient(c);
  listBackward(c, slot, false);
}

export function conv2BackwardList16(c: usize, slot: usize): void {
  clearInputGradient(c);
  listBackward(c, slot, true);
}

export function conv2BackwardPairs(c: usize, slot: usize): void {
  clearInputGradient(c);
  pairBackward(c, slot);
}
