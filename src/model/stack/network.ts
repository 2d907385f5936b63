import type { ImageSource, SampleKernels } from '../../kernels/sample-kernels.js';
import { denseForward, denseSlotBackward } from '../dense.js';
import { allocFloat, type Dtype, type FloatArray } from '../float-array.js';
import { convBackward, convForward } from '../layers/conv.js';
import { maxpoolBackward, maxpoolForward } from '../layers/maxpool.js';
import { tanhBackward, tanhForward } from '../layers/tanh.js';
import { reluBackward, reluForward } from '../relu.js';
import { softmaxCrossEntropy } from '../softmax-cross-entropy.js';
import type { StackDims } from './dims.js';
import { type LayerParameters, layerParameterViews, type SequentialLayout, sequentialLayout, stackSlotLayout } from './parameters.js';
import { clipSlot } from '../../privacy/clip.js';
import { inSlot, type SlotLayout } from '../slot-layout.js';

/**
 * Any layer stack in plain TypeScript, one sample at a time: the reference the fast kernels are
 * tested against, and the float64 path. acts[i] is layer i's input and acts[i+1] its output
 * (acts[0] the image / divisor, the last the logits); grads[i] is the loss gradient of acts[i].
 * Flatten changes no value in the (channel, row, column) layout, so its output is its input.
 * Holds its own scratch activations, so one instance serves one thread.
 */
export class StackNetwork implements SampleKernels {
  readonly layout: SequentialLayout;
  readonly slots: SlotLayout;
  /** The tensors' places in a gradient slot, for views into one. */
  private readonly slotTensors: SequentialLayout;
  private readonly acts: FloatArray[];
  private readonly grads: (FloatArray | null)[];
  /** Per maxpool layer, where each output's maximum came from. */
  private readonly argmax: (Int32Array | null)[];
  private readonly dlogits: FloatArray;
  private cachedParams: FloatArray | null = null;
  private p: (LayerParameters | null)[] = [];
  private cachedGrad: FloatArray | null = null;
  private g: (LayerParameters | null)[] = [];

  /** The bytes the constructor allocates, as it allocates them. */
  static scratchBytes(dims: StackDims, dtype: Dtype): number {
    const value = dtype === 'float32' ? 4 : 8;
    const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
    let bytes = (dims.inputSize + dims.classes) * value;
    for (const l of dims.layers) {
      if (l.type === 'flatten') continue;
      bytes += sizeOf(l.output) * value + (l.needsInputGradient ? sizeOf(l.input) * value : 0) + (l.type === 'maxpool' ? sizeOf(l.output) * 4 : 0);
    }
    return bytes;
  }

  constructor(
    readonly dims: StackDims,
    readonly dtype: Dtype,
  ) {
    this.layout = sequentialLayout(dims);
    this.slots = stackSlotLayout(dims, this.layout);
    this.slotTensors = { tensors: inSlot(this.layout.tensors, this.slots), total: this.slots.length };
    const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
    this.acts = [allocFloat(dtype, dims.inputSize)];
    this.grads = [];
    this.argmax = [];
    for (const l of dims.layers) {
      const i = l.position - 1;
      const isFlatten = l.type === 'flatten';
      this.acts.push(isFlatten ? this.acts[i] : allocFloat(dtype, sizeOf(l.output)));
      // The image's gradient (grads[0]), and any before the first parameters, is never needed.
      this.grads[i] = l.needsInputGradient ? (isFlatten ? null : allocFloat(dtype, sizeOf(l.input))) : null;
      this.argmax.push(l.type === 'maxpool' ? new Int32Array(sizeOf(l.output)) : null);
    }
    // A flatten's input gradient is its output gradient: link them from the end backwards.
    this.grads.push(allocFloat(dtype, dims.classes));
    for (let i = dims.layers.length - 1; i >= 0; i--) {
      if (dims.layers[i].type === 'flatten' && dims.layers[i].needsInputGradient) this.grads[i] = this.grads[i + 1];
    }
    this.dlogits = this.grads[dims.layers.length]!;
  }

  prepare(): void {
    // Reads the parameters where they are; nothing to repack.
  }

  sampleGradient(params: FloatArray, images: ImageSource, index: number, label: number, gradSlot: FloatArray): number {
    this.forward(params, images, index);
    const layers = this.dims.layers;
    if (gradSlot !== this.cachedGrad) {
      this.g = layerParameterViews(gradSlot, this.slotTensors, layers.length);
      this.cachedGrad = gradSlot;
    }
    gradSlot.fill(0);
    const loss = softmaxCrossEntropy(this.dlogits, this.acts[layers.length], label, this.dims.classes);
    for (let i = layers.length - 1; i >= 0; i--) this.backwardLayer(i);
    return loss;
  }

  clipGradient(gradSlot: FloatArray, maxNorm: number): number {
    return clipSlot(gradSlot, this.slots, maxNorm);
  }

  sampleLogits(params: FloatArray, images: ImageSource, index: number, logits: FloatArray): void {
    this.forward(params, images, index);
    logits.set(this.acts[this.dims.layers.length]);
  }

  private forward(params: FloatArray, images: ImageSource, index: number): void {
    if (params !== this.cachedParams) {
      this.p = layerParameterViews(params, this.layout, this.dims.layers.length);
      this.cachedParams = params;
    }
    const x = this.acts[0];
    const size = this.dims.inputSize;
    const { pixels, divisor } = images;
    const base = index * size;
    // Division, not multiplication by 1/255, so float64 matches image/255 exactly.
    for (let i = 0; i < size; i++) x[i] = pixels[base + i] / divisor;
    for (const l of this.dims.layers) {
      const i = l.position - 1;
      const inp = this.acts[i];
      const out = this.acts[i + 1];
      switch (l.type) {
        case 'conv':
          convForward(out, inp, this.p[i]!.weight, this.p[i]!.bias, l.conv);
          break;
        case 'maxpool':
          maxpoolForward(out, this.argmax[i]!, inp, l.pool);
          break;
        case 'dense':
          denseForward(out, inp, this.p[i]!.weight, this.p[i]!.bias, l.inputs, l.outputs);
          break;
        case 'relu':
          reluForward(out, inp, out.length);
          break;
        case 'tanh':
          tanhForward(out, inp, out.length);
          break;
        case 'flatten':
          break;
      }
    }
  }

  /** Layer i's backward pass: parameter gradients into the slot, grads[i] from grads[i+1]. */
  private backwardLayer(i: number): void {
    const l = this.dims.layers[i];
    const dinp = this.grads[i];
    const dout = this.grads[i + 1]!;
    const inp = this.acts[i];
    const out = this.acts[i + 1];
    switch (l.type) {
      case 'conv':
        // convBackward accumulates into dinp.
        dinp?.fill(0);
        convBackward(dinp, this.g[i]!.weight, this.g[i]!.bias, dout, inp, this.p[i]!.weight, l.conv);
        break;
      case 'dense':
        // The slot holds the weight's gradient as inp and dout (model/slot-layout.ts).
        denseSlotBackward(dinp, this.g[i]!.weight, this.g[i]!.bias, dout, inp, this.p[i]!.weight, l.inputs, l.outputs);
        break;
      case 'maxpool':
        if (dinp === null) break;
        dinp.fill(0);
        maxpoolBackward(dinp, dout, this.argmax[i]!, l.pool);
        break;
      case 'relu':
        if (dinp !== null) reluBackward(dinp, dout, out, out.length);
        break;
      case 'tanh':
        if (dinp !== null) tanhBackward(dinp, dout, out, out.length);
        break;
      case 'flatten':
        // grads[i] is grads[i+1].
        break;
    }
  }
}
