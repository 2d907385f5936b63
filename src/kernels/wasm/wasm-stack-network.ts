import type { FloatArray } from '../../model/float-array.js';
import type { StackDims } from '../../model/stack/dims.js';
import { type SequentialLayout, sequentialLayout } from '../../model/stack/parameters.js';
import { softmaxCrossEntropy } from '../../model/softmax-cross-entropy.js';
import type { ImageSource, SampleKernels } from '../sample-kernels.js';
import { instantiateKernels, type KernelExports, type WasmModuleAndMemory } from './kernel-exports.js';
import { addressOf, allocBytes } from './shared-memory.js';
import { type StackLayout, stackLayout } from './stack-layout.js';
import type { WasmMemory } from './wasm-api.js';
import { ImageStaging, preparedAddress } from './image-staging.js';


export interface WasmStackOptions {
  /** Run the plain version of every layer, whatever the shape: the tests' oracle for the fast ones. */
  readonly plain?: boolean;
}

/**
 * Any layer stack (model/stack/network.ts is the reference) in float32 WebAssembly SIMD, one sample
 * at a time, on the shared memory, with WasmNetwork's contract (./README.md): `params` and
 * `gradSlot` are Float32Array views in the shared memory, in the Sequential layout; `prepare(params)`
 * repacks the convolutions' weights and must be called once per job, before the first sample;
 * `gradSlot` is overwritten. One instance serves one thread; it owns its scratch (configuration,
 * activations, repacked weights), allocated once and never freed.
 */
export class WasmStackNetwork implements SampleKernels {
  readonly layout: SequentialLayout;
  /** The raw entry points and this instance's addresses, for benchmarks of single layers. */
  readonly kernels: KernelExports;
  readonly configAddress: number;
  readonly scratch: StackLayout;
  private readonly logits: Float32Array;
  private readonly dlogits: Float32Array;
  private readonly staging: ImageStaging;
  private preparedAt = -1;

  private constructor(
    private readonly memory: WasmMemory,
    kernels: KernelExports,
    readonly dims: StackDims,
    options: WasmStackOptions,
  ) {
    this.kernels = kernels;
    this.layout = sequentialLayout(dims);
    const plain = options.plain ?? false;
    const probe = stackLayout(dims, this.layout, 0, plain);
    const base = allocBytes(memory, probe.bytes);
    this.scratch = stackLayout(dims, this.layout, base, plain);
    this.configAddress = base;
    const buffer = memory.buffer;
    // Padded lanes and unwritten gradient buffers must start as +0 (assembly/stack-config.ts).
    new Uint8Array(buffer, base, this.scratch.bytes).fill(0);
    new Int32Array(buffer, base, this.scratch.words.length).set(this.scratch.words);
    this.logits = new Float32Array(buffer, this.scratch.logits, dims.classes);
    this.dlogits = new Float32Array(buffer, this.scratch.dlogits, dims.classes);
    const size = dims.inputSize;
    const at = this.scratch.pixels;
    this.staging = new ImageStaging(buffer, at, size);
  }

  /** An instance on `backend`'s memory (any thread: the module and memory may come from postMessage). */
  static create(backend: WasmModuleAndMemory, dims: StackDims, options: WasmStackOptions = {}): WasmStackNetwork {
    return new WasmStackNetwork(backend.memory, instantiateKernels(backend), dims, options);
  }

  prepare(params: FloatArray): void {
    const at = addressOf(this.memory, params, 'params', this.layout.total);
    this.kernels.stackPrepare(this.configAddress, at);
    this.preparedAt = at;
  }

  sampleGradient(params: FloatArray, images: ImageSource, index: number, label: number, gradSlot: FloatArray): number {
    const p = this.preparedParams(params);
    const slot = addressOf(this.memory, gradSlot, 'gradSlot', this.layout.total);
    if (!Number.isInteger(label) || label < 0 || label >= this.dims.classes) {
      throw new RangeError(`label ${label} is not a class of this network (0..${this.dims.classes - 1})`);
    }
    this.loadInput(images, index);
    this.kernels.stackForward(this.configAddress, p);
    const loss = this.loss(label);
    this.kernels.stackBackward(this.configAddress, p, slot);
    return loss;
  }

  sampleLogits(params: FloatArray, images: ImageSource, index: number, logits: FloatArray): void {
    const p = this.preparedParams(params);
    this.loadInput(images, index);
    this.kernels.stackForward(this.configAddress, p);
    logits.set(this.logits);
  }

  /** Softmax cross-entropy of the logits in the scratch, by the reference's own function (as WasmNetwork.loss); writes dlogits. */
  loss(label: number): number {
    return softmaxCrossEntropy(this.dlogits, this.logits, label, this.dims.classes);
  }

  /** Copies image `index` into the staging area and lets the kernels convert it into the first layer's input. */
  loadInput(images: ImageSource, index: number): void {
    this.kernels.stackLoadInput(this.configAddress, this.staging.stage(images, index), images.divisor);
  }

  private preparedParams(params: FloatArray): number {
    return preparedAddress(addressOf(this.memory, params, 'params', this.layout.total), this.preparedAt, 'WasmStackNetwork');
  }
}
