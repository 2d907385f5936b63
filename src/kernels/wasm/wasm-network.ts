import type { ModelDims } from '../../model/config.js';
import { parameterLayout, type ParameterLayout, seedSlotLayout } from '../../model/parameters.js';
import { instantiateKernels, type KernelExports, type WasmModuleAndMemory } from './kernel-exports.js';
import { networkLayout } from './network-layout.js';
import { allocBytes } from './shared-memory.js';
import { slotLayoutBytes } from './slot-layout-words.js';
import type { WasmMemory } from './wasm-api.js';
import { WasmSampleKernels } from './wasm-sample-kernels.js';

/**
 * The network of model/network.ts in float32 WebAssembly SIMD, one sample at a time, on the shared
 * memory. One instance serves one thread; it owns a scratch area in the shared memory (allocated
 * once, never freed) holding its configuration, repacked weights and activations.
 *
 * Contract:
 * - `params` and `gradSlot` are Float32Array views into the backend's shared memory (allocFloat32);
 *   their byteOffset is the address the kernels use. Images stay in their own SharedArrayBuffer:
 *   each sample's pixels are copied into the scratch.
 * - `prepare(params)` repacks the weights into the kernels' layouts. Call it after every change of
 *   the parameters and before the next sampleGradient/sampleLogits, i.e. once at the start of every
 *   job (a step's gradients, an evaluation). Calls with a params view at another address throw;
 *   changed values at the same address cannot be seen and would silently use the old weights.
 * - The dense layer reads `params` directly, so they must not change during a job (they do not:
 *   the update is applied between jobs, by the main thread or by the pool threads).
 */
export class WasmNetwork extends WasmSampleKernels {
  private constructor(
    memory: WasmMemory,
    kernels: KernelExports,
    readonly dims: ModelDims,
    readonly layout: ParameterLayout,
    configAddress: number,
    addresses: { LOGITS: number; DLOGITS: number; PIXELS: number },
  ) {
    const scratch = { logits: addresses.LOGITS, dlogits: addresses.DLOGITS, pixelsAt: addresses.PIXELS, pixels: dims.conv1.H * dims.conv1.W };
    super(memory, kernels, configAddress, layout.total, seedSlotLayout(layout), dims.classes, scratch);
  }

  /** The bytes of the area create() lays its configuration and scratch out in. */
  static areaBytes(dims: ModelDims): number {
    return networkLayout(dims, parameterLayout(dims), 0).bytes;
  }

  /** The bytes create() takes from the shared memory: the area, and the slot layout's words. */
  static scratchBytes(dims: ModelDims): number {
    return WasmNetwork.areaBytes(dims) + slotLayoutBytes(seedSlotLayout(parameterLayout(dims)));
  }

  /**
   * An instance on `backend`'s memory (any thread: the module and memory may come from postMessage),
   * in the area at `at` (areaBytes long, taken over from a thread that is gone), or in a new one.
   */
  static create(backend: WasmModuleAndMemory, dims: ModelDims, at?: number): WasmNetwork {
    const layout = parameterLayout(dims);
    const base = at ?? allocBytes(backend.memory, networkLayout(dims, layout, 0).bytes);
    const scratch = networkLayout(dims, layout, base);
    const buffer = backend.memory.buffer;
    // Fresh memory is zero already; the margins of da1 must stay so (network-layout.ts).
    new Uint8Array(buffer, base, scratch.bytes).fill(0);
    new Int32Array(buffer, base, scratch.config.length).set(scratch.config);
    return new WasmNetwork(backend.memory, instantiateKernels(backend), dims, layout, base, scratch.addresses);
  }

  protected repack(params: number): void {
    this.kernels.prepare(this.configAddress, params);
  }

  /** Also lists the image's nonzero pixels, which conv1's scatter form visits. */
  protected convertInput(kind: number, divisor: number): void {
    this.kernels.loadInput(this.configAddress, kind, divisor);
  }

  protected forward(params: number): void {
    this.kernels.forward(this.configAddress, params);
  }

  protected backward(params: number, slot: number): void {
    this.kernels.backward(this.configAddress, params, slot);
  }
}
