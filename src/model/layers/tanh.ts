import type { FloatArray } from '../float-array.js';

// out[i] = tanh(inp[i]); out may be inp.
export function tanhForward(out: FloatArray, inp: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) out[i] = Math.tanh(inp[i]);
}

/**
 * Differentiates tanhForward from its output, as PyTorch's tanh_backward does:
 * dinp[i] = dout[i] * (1 - out[i]^2). dinp may be dout.
 */
export function tanhBackward(dinp: FloatArray, dout: FloatArray, out: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) dinp[i] = dout[i] * (1 - out[i] * out[i]);
}
