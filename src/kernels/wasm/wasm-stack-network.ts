import type { StackDims } from '../../model/stack/dims.js';
import { type SequentialLayout, sequentialLayout, stackSlotLayout } from '../../model/stack/parameters.js';
import { instantiateKernels, type KernelExports, type WasmModuleAndMemory } from './kernel-exports.js';
import { allocBytes } from './shared-memory.js';
import { slotLayoutBytes } from './slot-layout-words.js';
import { type StackLayout, stackLayout } from './stack-layout.js';
import type { WasmMemory } from './wasm-api.js';
import { WasmSampleKernels } from './wasm-sample-kernels.js';

export interface WasmStackOptions {
  /** Run the plain version of every layer, whatever the shape: the tests' oracle for the fast ones. */
  readonly plain?: boolean;
  /** The area to lay out in (areaBytes long, taken over from a thread that is gone); default a new one. */
  readonly at?: number;
}

/**
 * Any layer stack (model/stack/network.ts is the reference) in float32 WebAssembly SIMD, one sample
 * at a time, on the shared memory, with WasmNetwork's contract (./README.md): `params` and
 * `gradSlot` are Float32Array views in the shared memory, in the Sequential layout; `prepare(params)`
 * repacks the convolutions' weights and must be called once per job, before the first sample;
 * `gradSlot` is overwritten. One instance serves one thread; it owns its scratch (configuration,
 * activations, repacked weights), allocated once and never freed.
 */
export class WasmStackNetwork extends WasmSampleKernels {
  private constructor(
    memory: WasmMemory,
    kernels: KernelExports,
    readonly dims: StackDims,
    readonly layout: SequentialLayout,
    configAddress: number,
    /** This instance's addresses, for benchmarks of single layers. */
    readonly scratch: StackLayout,
  ) {
    const at = { logits: scratch.logits, dlogits: scratch.dlogits, pixelsAt: scratch.pixels, pixels: dims.inputSize };
    super(memory, kernels, configAddress, layout.total, stackSlotLayout(dims, layout), dims.classes, at);
  }

  /** The bytes of the area create() lays its configuration and scratch out in. */
  static areaBytes(dims: StackDims, options: WasmStackOptions = {}): number {
    return stackLayout(dims, sequentialLayout(dims), 0, options.plain ?? false).bytes;
  }

  /** The bytes create() takes from the shared memory: the area, and the slot layout's words. */
  static scratchBytes(dims: StackDims, options: WasmStackOptions = {}): number {
    return WasmStackNetwork.areaBytes(dims, options) + slotLayoutBytes(stackSlotLayout(dims, sequentialLayout(dims)));
  }

  /** An instance on `backend`'s memory (any thread: the module and memory may come from postMessage). */
  static create(backend: WasmModuleAndMemory, dims: StackDims, options: WasmStackOptions = {}): WasmStackNetwork {
    const layout = sequentialLayout(dims);
    const plain = options.plain ?? false;
    const base = options.at ?? allocBytes(backend.memory, stackLayout(dims, layout, 0, plain).bytes);
    const scratch = stackLayout(dims, layout, base, plain);
    const buffer = backend.memory.buffer;
    // Padded lanes and unwritten gradient buffers must start as +0 (assembly/stack-config.ts).
    new Uint8Array(buffer, base, scratch.bytes).fill(0);
    new Int32Array(buffer, base, scratch.words.length).set(scratch.words);
    return new WasmStackNetwork(backend.memory, instantiateKernels(backend), dims, layout, base, scratch);
  }

  protected repack(params: number): void {
    this.kernels.stackPrepare(this.configAddress, params);
  }

  protected convertInput(kind: number, divisor: number): void {
    this.kernels.stackLoadInput(this.configAddress, kind, divisor);
  }

  protected forward(params: number): void {
    this.kernels.stackForward(this.configAddress, params);
  }

  protected backward(params: number, slot: number): void {
    this.kernels.stackBackward(this.configAddress, params, slot);
  }
}
