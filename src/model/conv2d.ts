import type { FloatArray } from './float-array.js';

/**
 * One valid (unpadded) cross-correlation, as in the seed:
 * inp is (C,H,W), weight is (F,C,KH,KW), bias is (F), out is (F,OH,OW),
 * with OH = floor((H-KH)/stride)+1 and OW likewise.
 */
export interface ConvDims {
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly F: number;
  readonly KH: number;
  readonly KW: number;
  readonly stride: number;
  readonly OH: number;
  readonly OW: number;
}

// out[f,oy,ox] = bias[f] + sum_{c,ky,kx} weight[f,c,ky,kx] * inp[c, oy*stride+ky, ox*stride+kx]
export function conv2dForward(out: FloatArray, inp: FloatArray, weight: FloatArray, bias: FloatArray, d: ConvDims): void {
  const { C, H, W, F, KH, KW, stride, OH, OW } = d;
  for (let f = 0; f < F; f++) {
    const wf = f * C * KH * KW;
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        // One accumulator per output keeps float32 rounding to a single store.
        let acc = bias[f];
        for (let c = 0; c < C; c++) {
          for (let ky = 0; ky < KH; ky++) {
            const inRow = (c * H + oy * stride + ky) * W + ox * stride;
            const wRow = wf + (c * KH + ky) * KW;
            for (let kx = 0; kx < KW; kx++) acc += weight[wRow + kx] * inp[inRow + kx];
          }
        }
        out[(f * OH + oy) * OW + ox] = acc;
      }
    }
  }
}

/**
 * Differentiates conv2dForward. Gradients accumulate (+=): the caller zeroes them.
 * dinp may be null when the input is the image, whose gradient nobody needs.
 * The seed's version of dweight ignores the stride and swaps H and W; this one does neither.
 */
export function conv2dBackward(
  dinp: FloatArray | null,
  dweight: FloatArray,
  dbias: FloatArray,
  dout: FloatArray,
  inp: FloatArray,
  weight: FloatArray,
  d: ConvDims,
): void {
  const { C, H, W, F, KH, KW, stride, OH, OW } = d;
  for (let f = 0; f < F; f++) {
    const outBase = f * OH * OW;
    // dbias[f] = sum_{oy,ox} dout[f,oy,ox]
    let biasAcc = 0;
    for (let i = 0; i < OH * OW; i++) biasAcc += dout[outBase + i];
    dbias[f] += biasAcc;
    // dweight[f,c,ky,kx] = sum_{oy,ox} dout[f,oy,ox] * inp[c, oy*stride+ky, ox*stride+kx]
    for (let c = 0; c < C; c++) {
      for (let ky = 0; ky < KH; ky++) {
        for (let kx = 0; kx < KW; kx++) {
          let acc = 0;
          for (let oy = 0; oy < OH; oy++) {
            const inRow = (c * H + oy * stride + ky) * W + kx;
            const outRow = outBase + oy * OW;
            for (let ox = 0; ox < OW; ox++) acc += dout[outRow + ox] * inp[inRow + ox * stride];
          }
          dweight[((f * C + c) * KH + ky) * KW + kx] += acc;
        }
      }
    }
  }
  if (dinp === null) return;
  // dinp[c, oy*stride+ky, ox*stride+kx] += weight[f,c,ky,kx] * dout[f,oy,ox]
  for (let f = 0; f < F; f++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const g = dout[(f * OH + oy) * OW + ox];
        // After a ReLU most of dout is exactly zero; skipping it changes no sum.
        if (g === 0) continue;
        for (let c = 0; c < C; c++) {
          for (let ky = 0; ky < KH; ky++) {
            const inRow = (c * H + oy * stride + ky) * W + ox * stride;
            const wRow = ((f * C + c) * KH + ky) * KW;
            for (let kx = 0; kx < KW; kx++) dinp[inRow + kx] += weight[wRow + kx] * g;
          }
        }
      }
    }
  }
}
