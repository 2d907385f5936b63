import type { FloatArray } from './float-array.js';

/** out[i] = max(0, inp[i]), a NaN kept as PyTorch's and numpy's maximum keep it (a diverged run shows in its loss); out may be inp. */
export function reluForward(out: FloatArray, inp: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) out[i] = inp[i] <= 0 ? 0 : inp[i];
}

/** dinp[i] = dout[i] where the forward output was positive, else 0 (the seed's `k > 0`). dinp may be dout. */
export function reluBackward(dinp: FloatArray, dout: FloatArray, out: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) dinp[i] = out[i] > 0 ? dout[i] : 0;
}
