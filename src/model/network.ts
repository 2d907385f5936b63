import { conv2dBackward, conv2dForward } from './conv2d.js';
import { denseForward, denseSlotBackward } from './dense.js';
import { allocFloat, type Dtype, type FloatArray } from './float-array.js';
import type { ImageSource, SampleKernels } from '../kernels/sample-kernels.js';
import type { ModelDims } from './config.js';
import { parameterLayout, type ParameterLayout, type ParameterViews, parameterViews, seedSlotLayout } from './parameters.js';
import { inSlot, type SlotLayout } from './slot-layout.js';
import { reluBackward, reluForward } from './relu.js';
import { softmaxCrossEntropy } from './softmax-cross-entropy.js';
import { clipSlot } from '../privacy/clip.js';

/**
 * The seed's network in plain TypeScript, the reference every other kernel is tested against:
 * conv1 -> ReLU -> conv2 -> ReLU -> dense -> softmax cross-entropy, one sample at a time.
 * Holds its own scratch activations, so one instance serves one thread.
 */
export class Network implements SampleKernels {
  readonly layout: ParameterLayout;
  readonly slots: SlotLayout;
  /** The tensors' places in a gradient slot, for views into one. */
  private readonly slotTensors: ParameterLayout;
  private readonly x: FloatArray; // (1,H,W) image / divisor
  private readonly a1: FloatArray; // (F1,OH1,OW1) relu(conv1)
  private readonly a2: FloatArray; // (F2,OH2,OW2) relu(conv2)
  private readonly logits: FloatArray;
  private readonly dlogits: FloatArray;
  private readonly da2: FloatArray;
  private readonly da1: FloatArray;
  private cachedParams: FloatArray | null = null;
  private p!: ParameterViews;
  private g!: ParameterViews;
  private cachedGrad: FloatArray | null = null;

  /** The bytes the constructor allocates, as it allocates them. */
  static scratchBytes(dims: ModelDims, dtype: Dtype): number {
    const { conv1: c1, conv2: c2 } = dims;
    const values = c1.H * c1.W + 2 * (c1.F * c1.OH * c1.OW + c2.F * c2.OH * c2.OW + dims.classes);
    return values * (dtype === 'float32' ? 4 : 8);
  }

  constructor(
    readonly dims: ModelDims,
    readonly dtype: Dtype,
  ) {
    this.layout = parameterLayout(dims);
    this.slots = seedSlotLayout(this.layout);
    this.slotTensors = { tensors: inSlot(this.layout.tensors, this.slots), total: this.slots.length };
    const { conv1: c1, conv2: c2 } = dims;
    this.x = allocFloat(dtype, c1.H * c1.W);
    this.a1 = allocFloat(dtype, c1.F * c1.OH * c1.OW);
    this.a2 = allocFloat(dtype, c2.F * c2.OH * c2.OW);
    this.logits = allocFloat(dtype, dims.classes);
    this.dlogits = allocFloat(dtype, dims.classes);
    this.da2 = allocFloat(dtype, this.a2.length);
    this.da1 = allocFloat(dtype, this.a1.length);
  }

  prepare(): void {
    // Reads the parameters where they are; nothing to repack.
  }

  sampleGradient(params: FloatArray, images: ImageSource, index: number, label: number, gradSlot: FloatArray): number {
    this.forward(params, images, index);
    const { conv1: c1, conv2: c2, denseIn, classes } = this.dims;
    const p = this.p;
    if (gradSlot !== this.cachedGrad) {
      this.g = parameterViews(gradSlot, this.slotTensors);
      this.cachedGrad = gradSlot;
    }
    const g = this.g;
    gradSlot.fill(0);
    const loss = softmaxCrossEntropy(this.dlogits, this.logits, label, classes);
    // logits = w . a2 + b; the slot holds w's gradient as a2 and dlogits (model/slot-layout.ts)
    denseSlotBackward(this.da2, g.w, g.b, this.dlogits, this.a2, p.w, denseIn, classes);
    // a2 = relu(conv2(a1))
    reluBackward(this.da2, this.da2, this.a2, this.a2.length);
    this.da1.fill(0);
    conv2dBackward(this.da1, g.kern2, g.kb2, this.da2, this.a1, p.kern2, c2);
    // a1 = relu(conv1(x))
    reluBackward(this.da1, this.da1, this.a1, this.a1.length);
    conv2dBackward(null, g.kern, g.kb, this.da1, this.x, p.kern, c1);
    return loss;
  }

  clipGradient(gradSlot: FloatArray, maxNorm: number): number {
    return clipSlot(gradSlot, this.slots, maxNorm);
  }

  sampleLogits(params: FloatArray, images: ImageSource, index: number, logits: FloatArray): void {
    this.forward(params, images, index);
    logits.set(this.logits);
  }

  private forward(params: FloatArray, images: ImageSource, index: number): void {
    if (params !== this.cachedParams) {
      this.p = parameterViews(params, this.layout);
      this.cachedParams = params;
    }
    const p = this.p;
    const { conv1: c1, conv2: c2, denseIn, classes } = this.dims;
    const size = c1.H * c1.W;
    const { pixels, divisor } = images;
    const base = index * size;
    // Division, not multiplication by 1/255, so float64 matches the seed's image/255 exactly.
    for (let i = 0; i < size; i++) this.x[i] = pixels[base + i] / divisor;
    conv2dForward(this.a1, this.x, p.kern, p.kb, c1);
    reluForward(this.a1, this.a1, this.a1.length);
    conv2dForward(this.a2, this.a1, p.kern2, p.kb2, c2);
    reluForward(this.a2, this.a2, this.a2.length);
    denseForward(this.logits, this.a2, p.w, p.b, denseIn, classes);
  }
}
