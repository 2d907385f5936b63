import { readFile } from 'node:fs/promises';
import v8 from 'node:v8';
import type { WasmModuleAndMemory } from './kernel-exports.js';
import { wasmModulePath, type WasmSimd } from './module-files.js';
import { initSharedMemory, WASM_PAGE_BYTES } from './shared-memory.js';
import { WebAssemblyApi } from './wasm-api.js';

export type { WasmSimd } from './module-files.js';

/** Made once on the main thread; `memory` and `module` can be posted to workers (structured clone). */
export interface WasmBackend extends WasmModuleAndMemory {
  readonly simd: WasmSimd;
}

export interface WasmBackendOptions {
  /** 'auto' (the default) takes relaxed-SIMD FMA when this V8 compiles it, else plain SIMD. */
  readonly simd?: WasmSimd | 'auto';
  /** Initial size of the shared memory in bytes (rounded up to 64 KiB pages); it grows on demand. */
  readonly initialBytes?: number;
  /** Upper bound of the shared memory in bytes; a shared memory reserves its address range up front. */
  readonly maximumBytes?: number;
}

// V8 11.3 (Node 20) ships relaxed SIMD behind this flag; later versions enable it by default.
const RELAXED_SIMD_FLAG = '--experimental-wasm-relaxed-simd';

/** Compiles the kernels and creates the shared memory that every thread's instances will use. */
export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  const wanted = options.simd ?? 'auto';
  let simd: WasmSimd = 'simd';
  let bytes = await readFile(wasmModulePath('simd'));
  if (wanted !== 'simd') {
    const relaxed = await readFile(wasmModulePath('relaxed-simd-fma'));
    if (relaxedSimdCompiles(relaxed)) {
      simd = 'relaxed-simd-fma';
      bytes = relaxed;
    } else if (wanted === 'relaxed-simd-fma') {
      throw new Error(`this V8 (${process.versions.v8}) does not compile relaxed SIMD, even with ${RELAXED_SIMD_FLAG}`);
    }
  }
  if (!WebAssemblyApi.validate(bytes)) throw new Error(`this V8 (${process.versions.v8}) does not compile 128-bit wasm SIMD with shared memory`);
  const module = await WebAssemblyApi.compile(bytes);
  const initialPages = Math.max(1, Math.ceil((options.initialBytes ?? 16 * 2 ** 20) / WASM_PAGE_BYTES));
  const maximumPages = Math.min(65536, Math.ceil((options.maximumBytes ?? 2 ** 32) / WASM_PAGE_BYTES));
  const memory = new WebAssemblyApi.Memory({ initial: initialPages, maximum: maximumPages, shared: true });
  initSharedMemory(memory);
  return { memory, module, simd };
}

/** Validation is the detection: try as is, then once more with V8's flag set (process-wide). */
function relaxedSimdCompiles(bytes: Uint8Array): boolean {
  if (WebAssemblyApi.validate(bytes)) return true;
  v8.setFlagsFromString(RELAXED_SIMD_FLAG);
  return WebAssemblyApi.validate(bytes);
}
