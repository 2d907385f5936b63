import type { ModelDims } from '../../model/config.js';
import type { FloatArray } from '../../model/float-array.js';
import type { ImageSource, SampleKernels } from '../sample-kernels.js';
import { parameterLayout, type ParameterLayout } from '../../model/parameters.js';
import { softmaxCrossEntropy } from '../../model/softmax-cross-entropy.js';
import { instantiateKernels, type KernelExports, type WasmModuleAndMemory } from './kernel-exports.js';
import { type NetworkLayout, networkLayout } from './network-layout.js';
import { addressOf, allocBytes } from './shared-memory.js';
import type { WasmMemory } from './wasm-api.js';
import { ImageStaging, preparedAddress } from './image-staging.js';


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
 *   the main thread updates them between jobs).
 */
export class WasmNetwork implements SampleKernels {
  readonly layout: ParameterLayout;
  /** The raw entry points and this instance's configuration address, for benchmarks of single layers. */
  readonly kernels: KernelExports;
  readonly configAddress: number;
  private readonly scratch: NetworkLayout;
  private readonly logits: Float32Array;
  private readonly dlogits: Float32Array;
  private readonly staging: ImageStaging;
  private preparedAt = -1;

  private constructor(
    private readonly memory: WasmMemory,
    kernels: KernelExports,
    readonly dims: ModelDims,
  ) {
    this.kernels = kernels;
    this.layout = parameterLayout(dims);
    const probe = networkLayout(dims, this.layout, 0);
    const base = allocBytes(memory, probe.bytes);
    this.scratch = networkLayout(dims, this.layout, base);
    this.configAddress = base;
    const buffer = memory.buffer;
    // Fresh memory is zero already; the margins of da1 must stay so (network-layout.ts).
    new Uint8Array(buffer, base, this.scratch.bytes).fill(0);
    new Int32Array(buffer, base, this.scratch.config.length).set(this.scratch.config);
    const a = this.scratch.addresses;
    const pixels = dims.conv1.H * dims.conv1.W;
    this.logits = new Float32Array(buffer, a.LOGITS, dims.classes);
    this.dlogits = new Float32Array(buffer, a.DLOGITS, dims.classes);
    this.staging = new ImageStaging(buffer, a.PIXELS, pixels);
  }

  /** An instance on `backend`'s memory (any thread: the module and memory may come from postMessage). */
  static create(backend: WasmModuleAndMemory, dims: ModelDims): WasmNetwork {
    return new WasmNetwork(backend.memory, instantiateKernels(backend), dims);
  }

  /** Repacks `params` for the kernels; see the class comment for when it must be called. */
  prepare(params: FloatArray): void {
    const at = addressOf(this.memory, params, 'params', this.layout.total);
    this.kernels.prepare(this.configAddress, at);
    this.preparedAt = at;
  }

  sampleGradient(params: FloatArray, images: ImageSource, index: number, label: number, gradSlot: FloatArray): number {
    const p = this.preparedParams(params);
    const slot = addressOf(this.memory, gradSlot, 'gradSlot', this.layout.total);
    if (!Number.isInteger(label) || label < 0 || label >= this.dims.classes) {
      throw new RangeError(`label ${label} is not a class of this network (0..${this.dims.classes - 1})`);
    }
    this.loadInput(images, index);
    const k = this.kernels;
    k.forward(this.configAddress, p);
    const loss = this.loss(label);
    k.backward(this.configAddress, p, slot);
    return loss;
  }

  sampleLogits(params: FloatArray, images: ImageSource, index: number, logits: FloatArray): void {
    const p = this.preparedParams(params);
    this.loadInput(images, index);
    this.kernels.forward(this.configAddress, p);
    logits.set(this.logits);
  }

  /**
   * Softmax cross-entropy of the logits the forward pass left in the scratch, computed in JS by the
   * reference's own function (wasm would need exp and log, whose tables are data segments); writes
   * the scratch's dlogits for the backward pass.
   */
  loss(label: number): number {
    return softmaxCrossEntropy(this.dlogits, this.logits, label, this.dims.classes);
  }

  /** Copies image `index` into the scratch and lets the kernels convert it and list its nonzero pixels. */
  loadInput(images: ImageSource, index: number): void {
    this.kernels.loadInput(this.configAddress, this.staging.stage(images, index), images.divisor);
  }

  private preparedParams(params: FloatArray): number {
    return preparedAddress(addressOf(this.memory, params, 'params', this.layout.total), this.preparedAt, 'WasmNetwork');
  }
}
