// A layer stack's configuration block (../stack-layout.ts writes it; keep the two in step): a
// header of i32 fields at the address `n` that the stack entry points receive, then one record of
// LAYER_FIELDS i32 per layer, whose address `l` each layer kernel receives.
//
// Activations are channel-last, (H,W,CP) with CP the channel count rounded up to whole f32x4
// vectors: the channels are the lanes. Padded lanes hold +0 everywhere (zero weights and biases
// make them so, and every layer keeps them so). After a flatten, activations are flat vectors in
// the Sequential (channel, row, column) order, padded with +0 to whole vectors.

export const enum Net {
  LAYERS, // layer count
  IMG_C, IMG_H, IMG_W, // the image, (C,H,W) in its source
  PIXELS, // staging for one image's pixels, as the JS side copied them
  TABLE, // byte / divisor for the 256 bytes, after the f64 divisor it was made for
  PLAIN, // 1: run the plain version of every layer (the tests' oracle for the fast ones)
  COUNT,
}

/** Header bytes, a whole number of vectors; layer i's record follows at HEADER_BYTES + i * LAYER_BYTES. */
@inline export const HEADER_BYTES: usize = 32;
@inline export const LAYER_BYTES: usize = 128;

export const enum Kind {
  CONV = 0,
  MAXPOOL = 1,
  RELU = 2,
  TANH = 3,
  FLATTEN = 4,
  DENSE = 5,
}

export const enum L {
  KIND,
  // Input (C,H,W) with CP lanes; output (F,OH,OW) with FP lanes (F = C for pools and activations).
  C, H, W, CP, F, OH, OW, FP,
  // Kernel, stride, padding (conv and maxpool).
  KH, KW, SH, SW, PH, PW,
  // Dense: inputs and outputs. Activations and flatten: floats to process (padded count).
  NIN, NOUT,
  // Byte addresses: the input and output activations, their gradients (DIN 0 when not needed).
  IN, OUT, DIN, DOUT,
  // Offsets in floats of the weight and bias: in the flat parameters, and in a gradient slot (a
  // dense layer's S_W holds its input, the weight's factor: model/slot-layout.ts).
  O_W, O_B, S_W, S_B,
  // Scratch: repacked weights (forward, backward), padded bias, maxpool's argmax, a conv's list of
  // nonzero output gradients, its weight gradient in the scatter versions' layout, and its input
  // positions' nonzero-channel bitmasks.
  WF, WB, BP, ARG, LIST, DWS, MASK,
  COUNT,
}

@inline export function layer(n: usize, i: i32): usize {
  return n + HEADER_BYTES + (<usize>i) * LAYER_BYTES;
}

@inline export function net(n: usize, field: Net): i32 {
  return load<i32>(n + (<usize>field << 2));
}

@inline export function lf(l: usize, field: L): i32 {
  return load<i32>(l + (<usize>field << 2));
}

@inline export function la(l: usize, field: L): usize {
  return <usize>load<u32>(l + (<usize>field << 2));
}
