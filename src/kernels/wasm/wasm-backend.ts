import { readFile } from 'node:fs/promises';
import v8 from 'node:v8';
import { deriveDims } from '../../model/config.js';
import type { Model } from '../../model/model.js';
import type { FloatArray } from '../../model/float-array.js';
import type { SlotLayout } from '../../model/slot-layout.js';
import type { BatchSums, SlotSum } from '../../optim/average-slots.js';
import type { Optimizer, OptimizerSettings, StateBuffers } from '../../optim/optimizer.js';
import { Sgd } from '../../optim/sgd.js';
import type { Backend, MemoryLimit } from '../backend.js';
import type { SampleKernels } from '../sample-kernels.js';
import { WasmAdam } from './adam.js';
import type { WasmModuleAndMemory } from './kernel-exports.js';
import { wasmModulePath, type WasmSimd } from './module-files.js';
import { allocBytes, allocFloat32, HEAP_START, initSharedMemory, WASM_PAGE_BYTES } from './shared-memory.js';
import { allocWasmBatchSums, WasmSlotSum } from './slot-sum.js';
import { type WasmMemory, type WasmModule, WebAssemblyApi } from './wasm-api.js';
import { WasmNetwork } from './wasm-network.js';
import { wasmNormalFill } from './normals.js';
import type { NormalFill } from '../../rng/ziggurat.js';
import { WasmStackNetwork } from './wasm-stack-network.js';
import { deriveStackDims } from '../../model/stack/index.js';

export type { WasmSimd } from './module-files.js';

/** What a pool thread receives: the compiled module and the shared memory (both postable). */
export interface WasmHandle extends WasmModuleAndMemory {
  readonly kind: 'wasm';
  readonly simd: WasmSimd;
}

export interface WasmBackendOptions {
  /** 'auto' (the default) takes relaxed-SIMD FMA when this V8 compiles it, else plain SIMD. */
  readonly simd?: WasmSimd | 'auto';
  /** Initial size of the shared memory in bytes (rounded up to 64 KiB pages); it grows on demand. */
  readonly initialBytes?: number;
}

/**
 * The float32 WebAssembly SIMD kernels. Everything they touch (parameters, gradient slots, Adam's
 * moments, each thread's scratch) lives in one shared memory, so that wasm reads it in place.
 */
export class WasmBackend implements Backend, WasmHandle {
  readonly kind = 'wasm';
  readonly dtype = 'float32';

  constructor(
    readonly memory: WasmMemory,
    readonly module: WasmModule,
    readonly simd: WasmSimd,
  ) {}

  get name(): string {
    return `wasm ${this.simd}`;
  }

  get handle(): WasmHandle {
    return { kind: 'wasm', memory: this.memory, module: this.module, simd: this.simd };
  }

  allocShared(length: number): FloatArray {
    return allocFloat32(this.memory, length);
  }

  /** The seed network keeps its own kernels: through the general stack kernels it took twice as long. */
  sampleKernels(model: Model, area?: number): SampleKernels {
    if (model.kind === 'seed') return WasmNetwork.create(this, deriveDims(model.config), area);
    return WasmStackNetwork.create(this, deriveStackDims(model.spec), { at: area });
  }

  allocArea(model: Model): number {
    const bytes = model.kind === 'seed' ? WasmNetwork.areaBytes(deriveDims(model.config)) : WasmStackNetwork.areaBytes(deriveStackDims(model.spec));
    return allocBytes(this.memory, bytes);
  }

  scratchBytes(model: Model): number {
    if (model.kind === 'seed') return WasmNetwork.scratchBytes(deriveDims(model.config));
    return WasmStackNetwork.scratchBytes(deriveStackDims(model.spec));
  }

  // Less what run-memory.ts does not count: the slot layouts' words, the normals' tables, each thread's noise chunk.
  readonly memoryLimit: MemoryLimit = { bytes: MAXIMUM_PAGES * WASM_PAGE_BYTES - HEAP_START - SMALL_ALLOCATIONS_BYTES, what: 'the 4 GiB of the shared wasm memory' };

  allocBatchSums(parameterCount: number): BatchSums {
    return allocWasmBatchSums(this, parameterCount);
  }

  slotSum(slots: FloatArray, layout: SlotLayout, sums: BatchSums): SlotSum {
    return new WasmSlotSum(this, slots as Float32Array, layout, sums);
  }

  /** SGD's update is a few operations per parameter: the reference's JS serves both backends. */
  optimizer(settings: OptimizerSettings, parameterCount: number, buffers?: StateBuffers): Optimizer {
    if (settings.kind === 'adam') return new WasmAdam(this, settings, parameterCount, buffers);
    return new Sgd(settings, 'float32', parameterCount, buffers);
  }

  normalFill(): NormalFill {
    return wasmNormalFill(this);
  }
}

// V8 11.3 (Node 20) ships relaxed SIMD behind this flag; later versions enable it by default.
const RELAXED_SIMD_FLAG = '--experimental-wasm-relaxed-simd';

/** What a run allocates beside its parameters, slots and scratch: a few KiB each, and 32 KiB of noise a thread. */
const SMALL_ALLOCATIONS_BYTES = 64 * 2 ** 20;

/** A shared memory reserves its whole address range up front; wasm32 addresses reach 4 GiB. */
const MAXIMUM_PAGES = 65536;

/** What a memory starts with; it grows as buffers are allocated. */
const INITIAL_BYTES = 16 * 2 ** 20;

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
  return new WasmBackend(newMemory(options.initialBytes ?? INITIAL_BYTES), module, simd);
}

/** A shared memory of at least `bytes`, ready for allocations (shared-memory.ts). */
function newMemory(bytes: number): WasmMemory {
  const memory = new WebAssemblyApi.Memory({ initial: Math.max(1, Math.ceil(bytes / WASM_PAGE_BYTES)), maximum: MAXIMUM_PAGES, shared: true });
  initSharedMemory(memory);
  return memory;
}

/** A pool thread's copy of the main thread's backend, on the same memory and module. */
export function wasmBackendFrom(handle: WasmHandle): WasmBackend {
  return new WasmBackend(handle.memory, handle.module, handle.simd);
}

/**
 * The same compiled module (so the same optimised code) on a memory of its own, which no other
 * thread reads or writes: the bench's bare kernel.
 */
export function wasmBackendApart(handle: WasmHandle): WasmBackend {
  return new WasmBackend(newMemory(INITIAL_BYTES), handle.module, handle.simd);
}

/** Validation is the detection: try as is, then once more with V8's flag set (process-wide). */
function relaxedSimdCompiles(bytes: Uint8Array): boolean {
  if (WebAssemblyApi.validate(bytes)) return true;
  v8.setFlagsFromString(RELAXED_SIMD_FLAG);
  return WebAssemblyApi.validate(bytes);
}
