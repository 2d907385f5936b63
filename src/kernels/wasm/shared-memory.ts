import { randomBytes } from 'node:crypto';
import type { WasmMemory } from './wasm-api.js';

/**
 * The one shared WebAssembly.Memory that the main thread and every worker's wasm instances use.
 * Its first bytes are a header: a magic number, a random id (so that a view can be checked to
 * really alias this memory), and the bump allocator's next free address. Nothing is ever freed:
 * parameters, gradient slots, optimizer state and per-instance scratch are allocated once per run.
 */
const MAGIC = 0x31746873; // 'sht1'
const H_MAGIC = 0;
const H_ID = 1;
const H_NEXT = 2;
/** Addresses below this are never handed out, so a zero pointer is always a mistake. */
export const HEAP_START = 1024;
export const WASM_PAGE_BYTES = 65536;
const ALIGN = 16;

function header(buffer: ArrayBufferLike): Uint32Array {
  return new Uint32Array(buffer, 0, 4);
}

/** Writes the header of a fresh memory (createWasmBackend does this once). */
export function initSharedMemory(memory: WasmMemory): void {
  const h = header(memory.buffer);
  h[H_ID] = randomBytes(4).readUInt32LE(0);
  Atomics.store(h, H_NEXT, HEAP_START);
  Atomics.store(h, H_MAGIC, MAGIC);
}

function checkedHeader(memory: WasmMemory): Uint32Array {
  const h = header(memory.buffer);
  if (Atomics.load(h, H_MAGIC) !== MAGIC) throw new Error('this WebAssembly.Memory was not created by createWasmBackend()');
  return h;
}

/**
 * `bytes` bytes of the shared memory, 16-byte aligned, growing the memory when needed; returns the
 * address. Atomic, so any thread holding the memory can allocate. Two threads growing at once may
 * grow it by a little more than needed, never less.
 */
export function allocBytes(memory: WasmMemory, bytes: number): number {
  if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`cannot allocate ${bytes} bytes`);
  const h = checkedHeader(memory);
  const size = Math.ceil(bytes / ALIGN) * ALIGN;
  let start: number;
  let end: number;
  do {
    start = Atomics.load(h, H_NEXT);
    end = start + size;
    if (end > 2 ** 32) throw new RangeError(`the shared wasm memory cannot hold ${bytes} more bytes (4 GiB limit)`);
  } while (Atomics.compareExchange(h, H_NEXT, start, end) !== start);
  for (let length = memory.buffer.byteLength; length < end; length = memory.buffer.byteLength) {
    try {
      memory.grow(Math.ceil((end - length) / WASM_PAGE_BYTES));
    } catch (e) {
      throw new RangeError(`the shared wasm memory cannot grow to ${end} bytes (4 GiB at most): ${(e as Error).message}`);
    }
  }
  return start;
}

/** A Float32Array of `length` values in the shared memory (zero-filled: memory is never reused). */
export function allocFloat32(memory: WasmMemory, length: number): Float32Array {
  const start = allocBytes(memory, length * 4);
  return new Float32Array(memory.buffer, start, length);
}

/** A Float64Array of `length` values in the shared memory, for sums kept in float64. */
export function allocFloat64(memory: WasmMemory, length: number): Float64Array {
  const start = allocBytes(memory, length * 8);
  return new Float64Array(memory.buffer, start, length);
}

/** Buffers already seen to alias each memory (a worker's views of it have their own buffer objects). */
const aliasing = new WeakMap<WasmMemory, WeakSet<ArrayBufferLike>>();

/**
 * The address of a view that must alias the shared memory: a Float32Array (or, where `type` says so, a
 * Float64Array) over a SharedArrayBuffer
 * whose header carries this memory's id (views made before a grow, or received from another thread,
 * have a different buffer object over the same memory). Throws a one-line error otherwise.
 */
export function addressOf(
  memory: WasmMemory,
  view: unknown,
  what: string,
  length: number,
  type: Float32ArrayConstructor | Float64ArrayConstructor = Float32Array,
): number {
  const alloc = type === Float32Array ? 'allocFloat32' : 'allocFloat64';
  if (!(view instanceof type)) {
    throw new TypeError(`${what} must be a ${type.name} in the shared wasm memory (${alloc}), got ${describe(view)}`);
  }
  let known = aliasing.get(memory);
  if (!known) aliasing.set(memory, (known = new WeakSet()));
  const buffer = view.buffer;
  if (!known.has(buffer)) {
    const own = checkedHeader(memory);
    const aliases =
      buffer instanceof SharedArrayBuffer &&
      buffer.byteLength >= HEAP_START &&
      header(buffer)[H_MAGIC] === MAGIC &&
      header(buffer)[H_ID] === own[H_ID];
    if (!aliases) throw new TypeError(`${what} is a ${view.constructor.name} outside the shared wasm memory: allocate it with ${alloc}(memory, n)`);
    known.add(buffer);
  }
  if (view.byteOffset < HEAP_START) throw new RangeError(`${what} overlaps the shared memory's header`);
  if (view.length < length) throw new RangeError(`${what} has ${view.length} values, ${length} needed`);
  return view.byteOffset;
}

function describe(value: unknown): string {
  if (value === null || typeof value !== 'object') return String(value);
  return value.constructor?.name ?? 'an object';
}
