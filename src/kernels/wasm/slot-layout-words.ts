import type { SlotLayout } from '../../model/slot-layout.js';
import { allocBytes } from './shared-memory.js';
import type { WasmMemory } from './wasm-api.js';

/** A slot layout as the kernels read it (assembly/slot-layout.ts; keep the two in step). */
export function slotLayoutWords(layout: SlotLayout): Int32Array {
  const words = [layout.copies.length, layout.outers.length];
  for (const c of layout.copies) words.push(c.parameter, c.slot, c.length);
  for (const o of layout.outers) words.push(o.parameter, o.rows, o.columns, o.input, o.output);
  return Int32Array.from(words);
}

/** The bytes allocSlotLayout takes from the shared memory (which aligns to 16). */
export function slotLayoutBytes(layout: SlotLayout): number {
  return Math.ceil(slotLayoutWords(layout).byteLength / 16) * 16;
}

/** Writes `layout`'s words into the shared memory, for the clip and sum kernels; returns their address. */
export function allocSlotLayout(memory: WasmMemory, layout: SlotLayout): number {
  const words = slotLayoutWords(layout);
  const at = allocBytes(memory, words.byteLength);
  new Int32Array(memory.buffer, at, words.length).set(words);
  return at;
}
