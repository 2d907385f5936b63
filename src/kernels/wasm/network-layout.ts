import type { ModelDims } from '../../model/config.js';
import { type ParameterLayout, seedSlotLayout } from '../../model/parameters.js';

/** The configuration block's fields, in the order of assembly/config.ts `Cfg`; keep the two in step. */
export const CONFIG_FIELDS = [
  'H', 'W', 'KH1', 'KW1', 'S1', 'OH1', 'OW1', 'F1', 'F1P', 'RS1',
  'KH2', 'KW2', 'S2', 'OH2', 'OW2', 'F2', 'F2P', 'CLASSES', 'DENSE_IN',
  'O_KERN', 'O_KB', 'O_KERN2', 'O_KB2', 'O_W', 'O_B', 'S_W', 'S_B',
  'PIXELS', 'TABLE', 'NZ', 'NZ_ROW', 'NZ_RANGE', 'NZB', 'NZP', 'W1P', 'B1P', 'W2F', 'W2B', 'B2P',
  'A1', 'A2', 'LOGITS', 'DLOGITS', 'DA2', 'DA1', 'LIST', 'LISTP', 'ACC2', 'BG2',
  'IMAGE', 'ROWS', 'NZP_ROW',
] as const;
export type ConfigField = (typeof CONFIG_FIELDS)[number];

/** One instance's configuration block and scratch, laid out from `base` (16-byte aligned). */
export interface NetworkLayout {
  /** Field values, to be written as i32 at `base`. */
  readonly config: Int32Array;
  readonly addresses: Readonly<Record<ConfigField, number>>;
  /** Bytes from `base` to the end of the scratch. */
  readonly bytes: number;
}

const roundUp4 = (n: number) => Math.ceil(n / 4) * 4;

export function networkLayout(dims: ModelDims, params: ParameterLayout, base: number): NetworkLayout {
  const { conv1: c1, conv2: c2, classes, denseIn } = dims;
  const F1P = roundUp4(c1.F);
  const F2P = roundUp4(c2.F);
  // a1 and da1 have KH1-1 spare rows above and below, KW1-1 spare columns left and right.
  const RS1 = c1.OW + 2 * (c1.KW - 1);
  const a1Bytes = (c1.OH + 2 * (c1.KH - 1)) * RS1 * F1P * 4;
  const a1Origin = ((c1.KH - 1) * RS1 + (c1.KW - 1)) * F1P * 4;
  const index = (name: string) => {
    const i = params.tensors.findIndex((x) => x.name === name);
    if (i < 0) throw new Error(`parameter layout lacks ${name}`);
    return i;
  };
  const offset = (name: string) => params.tensors[index(name)].offset;
  const slots = seedSlotLayout(params);
  const slotOffset = (name: string) => slots.tensors[index(name)].offset;
  // The convolutions' gradients keep their parameter offsets in a slot (config.ts relies on it).
  for (const name of ['kern', 'kb', 'kern2', 'kb2']) if (slotOffset(name) !== offset(name)) throw new Error(`slot moves ${name}`);
  const values: Record<ConfigField, number> = {
    H: c1.H, W: c1.W, KH1: c1.KH, KW1: c1.KW, S1: c1.stride, OH1: c1.OH, OW1: c1.OW, F1: c1.F, F1P, RS1,
    KH2: c2.KH, KW2: c2.KW, S2: c2.stride, OH2: c2.OH, OW2: c2.OW, F2: c2.F, F2P, CLASSES: classes, DENSE_IN: denseIn,
    O_KERN: offset('kern'), O_KB: offset('kb'), O_KERN2: offset('kern2'), O_KB2: offset('kb2'), O_W: offset('w'), O_B: offset('b'),
    S_W: slotOffset('w'), S_B: slotOffset('b'),
    PIXELS: 0, TABLE: 0, NZ: 0, NZ_ROW: 0, NZ_RANGE: 0, NZB: 0, NZP: 0, W1P: 0, B1P: 0, W2F: 0, W2B: 0, B2P: 0,
    A1: 0, A2: 0, LOGITS: 0, DLOGITS: 0, DA2: 0, DA1: 0, LIST: 0, LISTP: 0, ACC2: 0, BG2: 0,
    IMAGE: 0, ROWS: 0, NZP_ROW: 0,
  };
  const pixels = c1.H * c1.W;
  const scratchBytes: [ConfigField, number][] = [
    ['PIXELS', pixels * 8], // staging for the widest pixel type, float64
    ['TABLE', 16 + 256 * 4], // the divisor it was made for (f64), then byte / divisor for every byte
    ['NZ', pixels * 8], // (column i32, value f32) per nonzero pixel
    ['NZ_ROW', (c1.H + 2) * 4], // row starts, then the NZB count, then the NZP count
    ['NZ_RANGE', c1.H * c1.KW * 8],
    ['NZB', pixels * 8], // (a1 byte offset of the pixel's position, value f32) per nonzero pixel
    ['NZP', pixels * 16], // (a1 byte offset, value, right neighbour's value, unused) per pixel pair
    ['W1P', c1.KH * c1.KW * F1P * 4],
    ['B1P', F1P * 4],
    ['W2F', c2.KH * c2.KW * F1P * F2P * 4],
    ['W2B', c2.KH * c2.KW * c2.F * F1P * 4],
    ['B2P', F2P * 4],
    ['A1', a1Bytes],
    ['A2', denseIn * 4],
    ['LOGITS', classes * 4],
    ['DLOGITS', classes * 4],
    ['DA2', denseIn * 4],
    ['DA1', a1Bytes],
    ['LIST', c2.OH * c2.OW * 8], // (a1 byte offset, g) per nonzero conv2 output gradient
    ['LISTP', c2.OH * (c2.OW + 1) * 16], // (a1 byte offset, g, right neighbour's g) per pair
    ['ACC2', c2.OH * (c2.OW + 2) * F2P * 4], // conv2's scatter forward: its sums, with a column either side
    ['BG2', (4 * F2P + F1P) * 4], // its background block's 4 output sums, then conv1's background position
    ['IMAGE', c1.H * (c1.W + 1) * 4], // the pixel values, a zero column on the right of each row
    ['ROWS', c1.H * 8], // a u64 per row: bit x set where pixel x is nonzero
    ['NZP_ROW', (c1.H + 1) * 4], // each row's first NZP entry, then the NZP count
  ];
  let at = base + align16(CONFIG_FIELDS.length * 4);
  for (const [field, bytes] of scratchBytes) {
    values[field] = field === 'A1' || field === 'DA1' ? at + a1Origin : at;
    at += align16(bytes);
  }
  const config = Int32Array.from(CONFIG_FIELDS, (f) => values[f]);
  return { config, addresses: values, bytes: at - base };
}

function align16(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}
