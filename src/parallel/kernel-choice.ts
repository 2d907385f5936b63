import type { Dtype } from '../model/float-array.js';
import { UserError } from '../util/errors.js';

/**
 * Which implementation computes the per-sample gradients. The TypeScript network is the reference
 * and the float64 path; the WebAssembly SIMD kernels are float32 only.
 */
export type KernelChoice = 'typescript' | 'wasm';

/** 'auto': WebAssembly SIMD for float32, TypeScript for float64. */
export function resolveKernels(requested: KernelChoice | 'auto', dtype: Dtype): KernelChoice {
  if (requested === 'auto') return dtype === 'float32' ? 'wasm' : 'typescript';
  if (requested === 'wasm' && dtype !== 'float32') throw new UserError('--kernels wasm computes in float32 only; use --dtype float32 or --kernels typescript');
  return requested;
}
