// The one place that knows every kernel backend: a new backend is a folder here and a line in each function.
import type { Dtype } from '../model/float-array.js';
import { SettingError } from '../util/errors.js';
import type { Backend, BackendHandle, KernelChoice } from './backend.js';
import { TypeScriptBackend } from './typescript/typescript-backend.js';
import { createWasmBackend, wasmBackendApart, wasmBackendFrom } from './wasm/wasm-backend.js';

export { type Backend, type BackendHandle, KERNEL_CHOICES, type KernelChoice } from './backend.js';
export type { ImageSource, SampleKernels } from './sample-kernels.js';

/** The kernels asked for do not compute in the precision asked for. */
export class UnsupportedDtype extends SettingError {
  constructor(
    readonly kernels: KernelChoice,
    readonly dtype: Dtype,
  ) {
    super('kernels', (name) => `${name('kernels')} ${kernels} computes in float32 only; use ${name('dtype')} float32 or ${name('kernels')} typescript`);
    this.name = 'UnsupportedDtype';
  }
}

/** 'auto': WebAssembly SIMD for float32, the TypeScript reference for float64. */
export function resolveKernels(requested: KernelChoice | 'auto', dtype: Dtype): KernelChoice {
  if (requested === 'auto') return dtype === 'float32' ? 'wasm' : 'typescript';
  if (requested === 'wasm' && dtype !== 'float32') throw new UnsupportedDtype(requested, dtype);
  return requested;
}

/** The run's backend, made once on the main thread. */
export async function createBackend(kernels: KernelChoice, dtype: Dtype): Promise<Backend> {
  if (kernels === 'typescript') return new TypeScriptBackend(dtype);
  if (dtype !== 'float32') throw new UnsupportedDtype(kernels, dtype);
  return createWasmBackend();
}

/** A pool thread's copy of the main thread's backend, sharing its memory. */
export function backendFrom(handle: BackendHandle): Backend {
  return handle.kind === 'typescript' ? new TypeScriptBackend(handle.dtype) : wasmBackendFrom(handle);
}

/** The same kernels as `handle`'s, on memory of their own that no other thread touches. */
export function backendApart(handle: BackendHandle): Backend {
  return handle.kind === 'typescript' ? backendFrom(handle) : wasmBackendApart(handle);
}
