import type { FloatArray } from '../float-array.js';

/**
 * Max pooling as torch.nn.MaxPool2d computes it without padding, in floor mode:
 * inp is (C,H,W), out and argmax are (C,OH,OW), with OH = floor((H - KH) / strideH) + 1 and
 * OW likewise. Windows may overlap (stride below the pool size) or leave rows out (above it).
 */
export interface PoolDims {
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly KH: number;
  readonly KW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly OH: number;
  readonly OW: number;
}

/**
 * out[c,oy,ox] = max_{ky,kx} inp[c, oy*strideH+ky, ox*strideW+kx]; argmax[c,oy,ox] = the index in
 * inp of the value taken, which the backward pass routes the gradient to.
 *
 * Ties go to the first maximum in row-major window order and a NaN wins over any number, as in
 * PyTorch's CPU kernel (aten/src/ATen/native/cpu/MaxPoolKernel.cpp, cpu_max_pool: a value replaces
 * the running maximum when `val > maxval || isnan(val)`, scanning rows then columns), so the
 * gradient of a plateau lands where PyTorch puts it.
 */
export function maxpoolForward(out: FloatArray, argmax: Int32Array, inp: FloatArray, d: PoolDims): void {
  const { C, H, W, KH, KW, strideH, strideW, OH, OW } = d;
  for (let c = 0; c < C; c++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const first = (c * H + oy * strideH) * W + ox * strideW;
        let best = -Infinity;
        let bestAt = first;
        for (let ky = 0; ky < KH; ky++) {
          const row = first + ky * W;
          for (let kx = 0; kx < KW; kx++) {
            const v = inp[row + kx];
            if (v > best || v !== v) {
              best = v;
              bestAt = row + kx;
            }
          }
        }
        const o = (c * OH + oy) * OW + ox;
        out[o] = best;
        argmax[o] = bestAt;
      }
    }
  }
}

/**
 * Differentiates maxpoolForward: dinp[argmax[o]] += dout[o]. Accumulates, since overlapping windows
 * can pick the same input; the caller zeroes dinp.
 */
export function maxpoolBackward(dinp: FloatArray, dout: FloatArray, argmax: Int32Array, d: PoolDims): void {
  const n = d.C * d.OH * d.OW;
  for (let o = 0; o < n; o++) dinp[argmax[o]] += dout[o];
}
