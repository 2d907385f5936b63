import { type NormalFill, ZIGGURAT_TABLES } from '../../rng/ziggurat.js';
import { cachedKernels, type WasmModuleAndMemory } from './kernel-exports.js';
import { allocBytes, allocFloat64 } from './shared-memory.js';

/**
 * rng/ziggurat.ts's fillNormals in wasm (assembly/noise.ts), bitwise the same: 26,010 normals
 * (a step of private `opacus-mnist`) in 0.12-0.13 ms against 0.27-0.37 ms. They are drawn into
 * this thread's scratch in the shared memory and copied to `out`, which may lie outside it.
 */
export function wasmNormalFill(backend: WasmModuleAndMemory): NormalFill {
  const kernels = cachedKernels(backend);
  const tables = allocFloat64(backend.memory, ZIGGURAT_TABLES.length);
  tables.set(ZIGGURAT_TABLES);
  const state = new Int32Array(backend.memory.buffer, allocBytes(backend.memory, 16), 4);
  let scratch: Float64Array = allocFloat64(backend.memory, 0);
  return (out, from, to, stddev, stream) => {
    const count = to - from;
    if (count <= 0) return;
    // The memory is never freed: a scratch is made once for the largest range asked for (a noise chunk).
    if (count > scratch.length) scratch = allocFloat64(backend.memory, count);
    state.set(stream.stateWords());
    kernels.drawNormals(scratch.byteOffset, count, stddev, tables.byteOffset, state.byteOffset);
    out.set(scratch.subarray(0, count), from);
  };
}
