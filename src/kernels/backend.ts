import type { Model } from '../model/model.js';
import type { Dtype, FloatArray } from '../model/float-array.js';
import type { SlotLayout } from '../model/slot-layout.js';
import type { BatchSums, SlotSum } from '../optim/average-slots.js';
import type { Optimizer, OptimizerSettings, StateBuffers } from '../optim/optimizer.js';
import type { NormalFill } from '../rng/ziggurat.js';
import type { SampleKernels } from './sample-kernels.js';
import type { WasmHandle } from './wasm/wasm-backend.js';

/** The implementations: the TypeScript reference (either dtype) and WebAssembly SIMD (float32). */
export const KERNEL_CHOICES = ['typescript', 'wasm'] as const;
export type KernelChoice = (typeof KERNEL_CHOICES)[number];

/** What a pool thread receives to rebuild the main thread's backend (structured-cloneable). */
export type BackendHandle = { readonly kind: 'typescript'; readonly dtype: Dtype } | WasmHandle;

export interface MemoryLimit {
  readonly bytes: number;
  /** As a message names it: 'the 4 GiB of the shared wasm memory'. */
  readonly what: string;
}

/**
 * The seam between the run and its kernels: everything that depends on which implementation
 * computes goes through here. The main thread makes one backend per run (kernels/index.ts); each
 * pool thread rebuilds it from `handle` and asks it for its own sample kernels.
 */
export interface Backend {
  readonly kind: KernelChoice;
  readonly dtype: Dtype;
  /** For reports and checkpoints: 'typescript', 'wasm relaxed-simd-fma', ... */
  readonly name: string;
  readonly handle: BackendHandle;
  /** Zeroed values in memory every pool thread shares and these kernels read in place. */
  allocShared(length: number): FloatArray;
  /**
   * Per-sample forward and backward passes of `model` for one thread, in the scratch area `area`
   * (from allocArea, taken over from a thread that is gone), or in a new one.
   */
  sampleKernels(model: Model, area?: number): SampleKernels;
  /** A scratch area for sampleKernels in the shared memory, where one is (wasm's is never freed); null where it is not. */
  allocArea(model: Model): number | null;
  /** The bytes of the scratch area one sampleKernels(model) takes: activations, their gradients, repacked weights. */
  scratchBytes(model: Model): number;
  /** The memory everything of a run must fit in, and how to name it to a user. */
  readonly memoryLimit: MemoryLimit;
  /** A batch's running and carried sums, in memory every pool thread shares. */
  allocBatchSums(parameterCount: number): BatchSums;
  /** The sum of a batch's gradient slots (`slots` from allocShared, laid out by `layout`) into `sums`, on any thread. */
  slotSum(slots: FloatArray, layout: SlotLayout, sums: BatchSums): SlotSum;
  /** The update rule `settings` names, in this backend's implementation, its state from `buffers` (default: fresh arrays). */
  optimizer(settings: OptimizerSettings, parameterCount: number, buffers?: StateBuffers): Optimizer;
  /** Private training's normals (rng/ziggurat.ts's, bitwise) in this backend's implementation, for this thread. */
  normalFill(): NormalFill;
}
