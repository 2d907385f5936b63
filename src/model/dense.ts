import type { FloatArray } from './float-array.js';

// inp is (I), weight is (O,I), bias is (O), out is (O): out[o] = bias[o] + sum_i weight[o,i] * inp[i]
export function denseForward(out: FloatArray, inp: FloatArray, weight: FloatArray, bias: FloatArray, I: number, O: number): void {
  for (let o = 0; o < O; o++) {
    let acc = bias[o];
    const row = o * I;
    for (let i = 0; i < I; i++) acc += weight[row + i] * inp[i];
    out[o] = acc;
  }
}

/** Differentiates denseForward; dweight and dbias accumulate (+=), dinp is overwritten. dinp may be null. */
export function denseBackward(
  dinp: FloatArray | null,
  dweight: FloatArray,
  dbias: FloatArray,
  dout: FloatArray,
  inp: FloatArray,
  weight: FloatArray,
  I: number,
  O: number,
): void {
  for (let o = 0; o < O; o++) {
    const g = dout[o];
    dbias[o] += g;
    const row = o * I;
    for (let i = 0; i < I; i++) dweight[row + i] += g * inp[i];
  }
  if (dinp !== null) denseInputGradient(dinp, dout, weight, I, O);
}

/**
 * denseBackward for a gradient slot (model/slot-layout.ts): writes the weight gradient's factors,
 * the input into `slotInput` and the output gradient (which is also the bias's) into `slotBias`,
 * and overwrites dinp unless it is null.
 */
export function denseSlotBackward(
  dinp: FloatArray | null,
  slotInput: FloatArray,
  slotBias: FloatArray,
  dout: FloatArray,
  inp: FloatArray,
  weight: FloatArray,
  I: number,
  O: number,
): void {
  slotInput.set(inp.subarray(0, I));
  // + 0: a zeroed accumulator turns a -0 gradient into +0, as denseBackward's bias does.
  for (let o = 0; o < O; o++) slotBias[o] = dout[o] + 0;
  if (dinp !== null) denseInputGradient(dinp, dout, weight, I, O);
}

/** dinp[i] = sum_o weight[o,i] * dout[o] */
function denseInputGradient(dinp: FloatArray, dout: FloatArray, weight: FloatArray, I: number, O: number): void {
  for (let i = 0; i < I; i++) {
    let acc = 0;
    for (let o = 0; o < O; o++) acc += weight[o * I + i] * dout[o];
    dinp[i] = acc;
  }
}
