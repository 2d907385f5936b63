import type { StackDims, StackLayer } from '../../model/stack/dims.js';
import { type SequentialLayout, stackSlotLayout } from '../../model/stack/parameters.js';
import type { SlotLayout } from '../../model/slot-layout.js';

/** assembly/stack-config.ts `Net`, in order; keep the two in step. */
export const NET_FIELDS = ['LAYERS', 'IMG_C', 'IMG_H', 'IMG_W', 'PIXELS', 'TABLE', 'PLAIN'] as const;
/** assembly/stack-config.ts `L`, in order; keep the two in step. */
export const LAYER_FIELDS = [
  'KIND', 'C', 'H', 'W', 'CP', 'F', 'OH', 'OW', 'FP', 'KH', 'KW', 'SH', 'SW', 'PH', 'PW', 'NIN', 'NOUT',
  'IN', 'OUT', 'DIN', 'DOUT', 'O_W', 'O_B', 'S_W', 'S_B', 'WF', 'WB', 'BP', 'ARG', 'LIST', 'DWS', 'MASK',
] as const;
type NetField = (typeof NET_FIELDS)[number];
type LayerField = (typeof LAYER_FIELDS)[number];
/** assembly/stack-config.ts HEADER_BYTES and LAYER_BYTES. */
const HEADER_BYTES = 32;
const LAYER_BYTES = 128;
/** assembly/stack-config.ts `Kind`. */
const KIND = { conv: 0, maxpool: 1, relu: 2, tanh: 3, flatten: 4, dense: 5 } as const;

/** One instance's configuration block and scratch, laid out from `base` (16-byte aligned). */
export interface StackLayout {
  /** The block's i32 words, to be written at `base`. */
  readonly words: Int32Array;
  /** Byte address of the image staging area (8 bytes per pixel: room for float64). */
  readonly pixels: number;
  /** Byte addresses of the logits (the last layer's output) and of their gradient (its DOUT). */
  readonly logits: number;
  readonly dlogits: number;
  /** Byte address of each layer's record, for benchmarks of single layers. */
  readonly layerRecords: readonly number[];
  /** Bytes from `base` to the end of the scratch. */
  readonly bytes: number;
}

const roundUp4 = (n: number) => Math.ceil(n / 4) * 4;
const roundUp16 = (n: number) => Math.ceil(n / 16) * 16;
const align16 = (bytes: number) => Math.ceil(bytes / 16) * 16;

/**
 * Activations are channel-last (H,W,CP) with CP the channels rounded up to whole vectors, or flat
 * vectors rounded up likewise (assembly/stack-config.ts). acts[i] is layer i's input, acts[i+1] its
 * output; grads[i] is allotted only where layer i needs its input gradient.
 */
export function stackLayout(dims: StackDims, params: SequentialLayout, base: number, plain: boolean): StackLayout {
  const { layers } = dims;
  let at = base + align16(HEADER_BYTES + layers.length * LAYER_BYTES);
  const take = (bytes: number): number => {
    const start = at;
    at += align16(bytes);
    return start;
  };
  const floats = (shape: readonly number[]): number => (shape.length === 3 ? shape[1] * shape[2] * roundUp4(shape[0]) : roundUp4(shape[0]));
  const [C, H, W] = dims.spec.input;
  const pixels = take(C * H * W * 8);
  const table = take(16 + 256 * 4);
  const acts: number[] = [take(floats(layers[0].input) * 4)];
  const grads: number[] = [];
  for (const l of layers) {
    const i = l.position - 1;
    const flatAlias = l.type === 'flatten' && l.input.length === 1;
    acts.push(flatAlias ? acts[i] : take(floats(l.output) * 4));
    grads.push(l.needsInputGradient ? -1 : 0); // filled below, from the end, so that a flat flatten can alias
  }
  grads.push(take(roundUp4(dims.classes) * 4));
  for (let i = layers.length - 1; i >= 0; i--) {
    if (grads[i] !== -1) continue;
    const l = layers[i];
    grads[i] = l.type === 'flatten' && l.input.length === 1 ? grads[i + 1] : take(floats(l.input) * 4);
  }
  const words = new Int32Array(align16(HEADER_BYTES + layers.length * LAYER_BYTES) / 4);
  const header: Record<NetField, number> = { LAYERS: layers.length, IMG_C: C, IMG_H: H, IMG_W: W, PIXELS: pixels, TABLE: table, PLAIN: plain ? 1 : 0 };
  NET_FIELDS.forEach((f, k) => (words[k] = header[f]));
  const layerRecords: number[] = [];
  const slots = stackSlotLayout(dims, params);
  for (const l of layers) {
    const i = l.position - 1;
    const record = layerRecord(l, params, slots, { IN: acts[i], OUT: acts[i + 1], DIN: grads[i], DOUT: grads[i + 1] }, take);
    const offset = (HEADER_BYTES + i * LAYER_BYTES) / 4;
    LAYER_FIELDS.forEach((f, k) => (words[offset + k] = record[f] ?? 0));
    layerRecords.push(base + offset * 4);
  }
  return { words, pixels, logits: acts[layers.length], dlogits: grads[layers.length], layerRecords, bytes: at - base };
}

type Record_ = Partial<Record<LayerField, number>>;

function layerRecord(l: StackLayer, params: SequentialLayout, slots: SlotLayout, buffers: Record_, take: (bytes: number) => number): Record_ {
  const r: Record_ = { KIND: KIND[l.type], ...buffers };
  if (l.input.length === 3) Object.assign(r, { C: l.input[0], H: l.input[1], W: l.input[2], CP: roundUp4(l.input[0]) });
  if (l.output.length === 3) Object.assign(r, { F: l.output[0], OH: l.output[1], OW: l.output[2], FP: roundUp4(l.output[0]) });
  const weight = params.tensors.findIndex((t) => t.position === l.position && t.role === 'weight');
  const bias = params.tensors.findIndex((t) => t.position === l.position && t.role === 'bias');
  if (weight >= 0 && bias >= 0) {
    Object.assign(r, { O_W: params.tensors[weight].offset, O_B: params.tensors[bias].offset });
    Object.assign(r, { S_W: slots.tensors[weight].offset, S_B: slots.tensors[bias].offset });
  }
  switch (l.type) {
    case 'conv': {
      const { C, F, KH, KW, padH, padW } = l.conv;
      const [CP, FP] = [roundUp4(C), roundUp4(F)];
      const [strideH, strideW] = [oneWindowStride(l.conv.strideH, l.conv.H + 2 * padH), oneWindowStride(l.conv.strideW, l.conv.W + 2 * padW)];
      Object.assign(r, { KH, KW, SH: strideH, SW: strideW, PH: padH, PW: padW });
      r.WF = take(KH * KW * C * FP * 4);
      r.BP = take(FP * 4);
      if (l.needsInputGradient) r.WB = take(KH * KW * F * CP * 4);
      // The scatter and tap versions' weight gradient, (KH,KW,C,FP), before it goes to the slot's
      // layout; the list backward keeps one filter's sums in it, (KH*KW,CP), which is never larger.
      r.DWS = take(KH * KW * C * FP * 4);
      // The list backward's nonzero output gradients of one filter: (byte offset, g) per output.
      r.LIST = take(l.conv.OH * l.conv.OW * 8);
      // The register-blocked forward's nonzero-channel bitmask of each input position (u32), or the
      // few-channel versions' nonzero-pixel bitmask of each input row and channel (u64) followed,
      // 16-byte aligned, by their zero-padded copy of the input (CP = 4 floats a position) and room
      // for the second window of an odd last output column, which reads past the last row.
      const padded = (l.conv.H + 2 * padH) * (l.conv.W + 2 * padW) * 16 + (KW + strideW) * 16;
      r.MASK = take(Math.max(l.conv.H * l.conv.W * 4, roundUp16(l.conv.H * C * 8) + padded));
      break;
    }
    case 'maxpool': {
      const { KH, KW, OH, OW, C } = l.pool;
      Object.assign(r, { KH, KW, SH: oneWindowStride(l.pool.strideH, l.pool.H), SW: oneWindowStride(l.pool.strideW, l.pool.W) });
      r.ARG = take(OH * OW * roundUp4(C) * 4);
      break;
    }
    case 'dense':
      Object.assign(r, { NIN: l.inputs, NOUT: l.outputs });
      break;
    case 'relu':
    case 'tanh': {
      const shape = l.input;
      r.NIN = shape.length === 3 ? shape[1] * shape[2] * roundUp4(shape[0]) : roundUp4(shape[0]);
      break;
    }
    case 'flatten':
      break;
  }
  return r;
}

/**
 * A stride past the (padded) input leaves one window, whichever it is; the kernels keep sizes in
 * i32 and size scratch by the stride, so such a stride is given to them as the input's extent,
 * which leaves the same one window (a stride of 2^31 would overflow, one of 2^32 be stored as 0).
 */
function oneWindowStride(stride: number, extent: number): number {
  return Math.min(stride, extent);
}
