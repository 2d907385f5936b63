import type { FloatArray } from '../float-array.js';

/**
 * A convolution as torch.nn.Conv2d computes it (a cross-correlation over zero-padded input):
 * inp is (C,H,W), weight is (F,C,KH,KW), bias is (F), out is (F,OH,OW), with
 * OH = floor((H + 2*padH - KH) / strideH) + 1 and OW likewise.
 * The seed's ../conv2d.ts is the special case padH = padW = 0, strideH = strideW.
 */
export interface PaddedConvDims {
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly F: number;
  readonly KH: number;
  readonly KW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padH: number;
  readonly padW: number;
  readonly OH: number;
  readonly OW: number;
}

/** floor((size + 2*pad - kernel) / stride) + 1, PyTorch's output size; below 1 when the kernel does not fit. */
export function convOutputSize(size: number, kernel: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - kernel) / stride) + 1;
}

// out[f,oy,ox] = bias[f] + sum_{c,ky,kx} weight[f,c,ky,kx] * inp[c, oy*strideH-padH+ky, ox*strideW-padW+kx],
// taps that fall in the padding (outside 0..H-1, 0..W-1) being zero.
export function convForward(out: FloatArray, inp: FloatArray, weight: FloatArray, bias: FloatArray, d: PaddedConvDims): void {
  const { C, H, W, F, KH, KW, strideH, strideW, padH, padW, OH, OW } = d;
  for (let f = 0; f < F; f++) {
    for (let oy = 0; oy < OH; oy++) {
      const y0 = oy * strideH - padH;
      // Only the kernel rows and columns that land inside the image: the padding adds nothing.
      const kyStart = Math.max(0, -y0);
      const kyEnd = Math.min(KH, H - y0);
      for (let ox = 0; ox < OW; ox++) {
        const x0 = ox * strideW - padW;
        const kxStart = Math.max(0, -x0);
        const kxEnd = Math.min(KW, W - x0);
        // One accumulator per output keeps float32 rounding to a single store.
        let acc = bias[f];
        for (let c = 0; c < C; c++) {
          for (let ky = kyStart; ky < kyEnd; ky++) {
            const inRow = (c * H + y0 + ky) * W + x0;
            const wRow = ((f * C + c) * KH + ky) * KW;
            for (let kx = kxStart; kx < kxEnd; kx++) acc += weight[wRow + kx] * inp[inRow + kx];
          }
        }
        out[(f * OH + oy) * OW + ox] = acc;
      }
    }
  }
}

/**
 * Differentiates convForward. All three gradients accumulate (+=): the caller zeroes them.
 * dinp is null when nothing before this layer has parameters (the image's gradient is not needed).
 */
export function convBackward(
  dinp: FloatArray | null,
  dweight: FloatArray,
  dbias: FloatArray,
  dout: FloatArray,
  inp: FloatArray,
  weight: FloatArray,
  d: PaddedConvDims,
): void {
  const { C, H, W, F, KH, KW, strideH, strideW, padH, padW, OH, OW } = d;
  for (let f = 0; f < F; f++) {
    const outBase = f * OH * OW;
    // dbias[f] = sum_{oy,ox} dout[f,oy,ox]
    let biasAcc = 0;
    for (let i = 0; i < OH * OW; i++) biasAcc += dout[outBase + i];
    dbias[f] += biasAcc;
    // dweight[f,c,ky,kx] = sum_{oy,ox} dout[f,oy,ox] * inp[c, oy*strideH-padH+ky, ox*strideW-padW+kx]
    for (let c = 0; c < C; c++) {
      for (let ky = 0; ky < KH; ky++) {
        for (let kx = 0; kx < KW; kx++) {
          let acc = 0;
          for (let oy = 0; oy < OH; oy++) {
            const y = oy * strideH - padH + ky;
            if (y < 0 || y >= H) continue;
            const inRow = (c * H + y) * W;
            const outRow = outBase + oy * OW;
            for (let ox = 0; ox < OW; ox++) {
              const x = ox * strideW - padW + kx;
              if (x >= 0 && x < W) acc += dout[outRow + ox] * inp[inRow + x];
            }
          }
          dweight[((f * C + c) * KH + ky) * KW + kx] += acc;
        }
      }
    }
  }
  if (dinp === null) return;
  // dinp[c, oy*strideH-padH+ky, ox*strideW-padW+kx] += weight[f,c,ky,kx] * dout[f,oy,ox]
  for (let f = 0; f < F; f++) {
    for (let oy = 0; oy < OH; oy++) {
      const y0 = oy * strideH - padH;
      const kyStart = Math.max(0, -y0);
      const kyEnd = Math.min(KH, H - y0);
      for (let ox = 0; ox < OW; ox++) {
        const g = dout[(f * OH + oy) * OW + ox];
        // After a ReLU most of dout is exactly zero; skipping it changes no sum.
        if (g === 0) continue;
        const x0 = ox * strideW - padW;
        const kxStart = Math.max(0, -x0);
        const kxEnd = Math.min(KW, W - x0);
        for (let c = 0; c < C; c++) {
          for (let ky = kyStart; ky < kyEnd; ky++) {
            const inRow = (c * H + y0 + ky) * W + x0;
            const wRow = ((f * C + c) * KH + ky) * KW;
            for (let kx = kxStart; kx < kxEnd; kx++) dinp[inRow + kx] += weight[wRow + kx] * g;
          }
        }
      }
    }
  }
}
