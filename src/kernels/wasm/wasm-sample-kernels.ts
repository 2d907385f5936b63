import type { FloatArray } from '../../model/float-array.js';
import { softmaxCrossEntropy } from '../../model/softmax-cross-entropy.js';
import type { ImageSource, SampleKernels } from '../sample-kernels.js';
import { ImageStaging, preparedAddress } from './image-staging.js';
import type { KernelExports } from './kernel-exports.js';
import { addressOf } from './shared-memory.js';
import type { SlotLayout } from '../../model/slot-layout.js';
import { allocSlotLayout } from './slot-layout-words.js';
import type { WasmMemory } from './wasm-api.js';

/** Where an instance's scratch keeps what the JS side reads and writes. */
export interface ScratchAddresses {
  readonly logits: number;
  readonly dlogits: number;
  /** The staged image, `pixels` values of it. */
  readonly pixelsAt: number;
  readonly pixels: number;
}

/**
 * The contract both wasm networks keep (./README.md), in one place: `params` and `gradSlot` are
 * Float32Array views in the shared memory; `prepare(params)` repacks the weights once per job and
 * later calls must pass the same params; each sample's image is staged into the scratch; the loss
 * is the reference's own JS function, one implementation for both backends (a few logits a
 * sample, too little work for a kernel), which also writes the dlogits the backward pass reads. A subclass names its entry points.
 */
export abstract class WasmSampleKernels implements SampleKernels {
  private readonly logits: Float32Array;
  private readonly dlogits: Float32Array;
  private readonly staging: ImageStaging;
  /** The slot layout's words in the shared memory, for the clip kernel. */
  private readonly slotLayoutAt: number;
  private preparedAt = -1;

  protected constructor(
    private readonly memory: WasmMemory,
    /** The raw entry points and this instance's configuration address, for benchmarks of single layers. */
    readonly kernels: KernelExports,
    readonly configAddress: number,
    private readonly parameterCount: number,
    /** How the backward pass writes a gradient slot (model/slot-layout.ts). */
    readonly slots: SlotLayout,
    private readonly classes: number,
    scratch: ScratchAddresses,
  ) {
    this.slotLayoutAt = allocSlotLayout(memory, slots);
    const buffer = memory.buffer;
    this.logits = new Float32Array(buffer, scratch.logits, classes);
    this.dlogits = new Float32Array(buffer, scratch.dlogits, classes);
    this.staging = new ImageStaging(buffer, scratch.pixelsAt, scratch.pixels);
  }

  /** Repacks the weights at address `params` into the scratch. */
  protected abstract repack(params: number): void;
  /** Converts the staged image (stored as `kind`) into the first layer's input. */
  protected abstract convertInput(kind: number, divisor: number): void;
  protected abstract forward(params: number): void;
  protected abstract backward(params: number, slot: number): void;

  prepare(params: FloatArray): void {
    const at = addressOf(this.memory, params, 'params', this.parameterCount);
    this.repack(at);
    this.preparedAt = at;
  }

  sampleGradient(params: FloatArray, images: ImageSource, index: number, label: number, gradSlot: FloatArray): number {
    const p = this.preparedParams(params);
    const slot = addressOf(this.memory, gradSlot, 'gradSlot', this.slots.length);
    if (!Number.isInteger(label) || label < 0 || label >= this.classes) {
      throw new RangeError(`label ${label} is not a class of this network (0..${this.classes - 1})`);
    }
    this.loadInput(images, index);
    this.forward(p);
    const loss = this.loss(label);
    this.backward(p, slot);
    return loss;
  }

  clipGradient(gradSlot: FloatArray, maxNorm: number): number {
    return this.kernels.clipSlot(addressOf(this.memory, gradSlot, 'gradSlot', this.slots.length), this.slotLayoutAt, maxNorm);
  }

  sampleLogits(params: FloatArray, images: ImageSource, index: number, logits: FloatArray): void {
    const p = this.preparedParams(params);
    this.loadInput(images, index);
    this.forward(p);
    logits.set(this.logits);
  }

  /** Softmax cross-entropy of the logits the forward pass left in the scratch; writes the scratch's dlogits. */
  loss(label: number): number {
    return softmaxCrossEntropy(this.dlogits, this.logits, label, this.classes);
  }

  /** Copies image `index` into the scratch and lets the kernels convert it. */
  loadInput(images: ImageSource, index: number): void {
    this.convertInput(this.staging.stage(images, index), images.divisor);
  }

  private preparedParams(params: FloatArray): number {
    return preparedAddress(addressOf(this.memory, params, 'params', this.parameterCount), this.preparedAt, this.constructor.name);
  }
}
