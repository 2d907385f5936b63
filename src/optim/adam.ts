import { allocFloat, type Dtype, type FloatArray } from '../model/float-array.js';
import type { Optimizer, OptimizerSettings, StateBuffers } from './optimizer.js';
import { powerOf } from './power.js';

export interface AdamOptions {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
}

/** The seed's settings. */
export const SEED_ADAM: AdamOptions = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-7 };

/**
 * Adam with the seed's bias correction folded into the step size:
 *   lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t),  p -= lr_t * m / (sqrt(v) + eps).
 * Each expression keeps the seed's operation order so that float64 runs round as numpy does.
 */
export class Adam implements Optimizer {
  readonly settings: OptimizerSettings;
  readonly m: FloatArray;
  readonly v: FloatArray;
  /** Updates applied so far (the seed's e*nbatch + nb + 1 after the update). */
  step = 0;

  constructor(
    readonly options: AdamOptions,
    dtype: Dtype,
    size: number,
    buffers: StateBuffers = (_name, length) => allocFloat(dtype, length),
  ) {
    const { lr, beta1, beta2, eps } = options;
    this.settings = { kind: 'adam', lr, beta1, beta2, eps };
    this.m = buffers('adam_m', size);
    this.v = buffers('adam_v', size);
  }

  get buffers(): Readonly<Record<string, FloatArray>> {
    return { adam_m: this.m, adam_v: this.v };
  }

  /** One update of params by the gradient of the loss (descent). */
  update(params: FloatArray, grad: FloatArray): boolean {
    return this.updateBlock(params, grad, 0, params.length, ++this.step);
  }

  updateBlock(params: FloatArray, grad: FloatArray, first: number, last: number, t: number): boolean {
    const { beta1, beta2, eps } = this.options;
    const lrT = adamStepSize(this.options, t);
    const { m, v } = this;
    const oneMinusBeta1 = 1 - beta1;
    const oneMinusBeta2 = 1 - beta2;
    // x - x is 0 for a finite x and NaN otherwise, so spread stays 0 while every value is finite.
    let spread = 0;
    for (let j = first; j < last; j++) {
      const g = grad[j];
      m[j] = beta1 * m[j] + oneMinusBeta1 * g;
      v[j] = beta2 * v[j] + oneMinusBeta2 * (g * g);
      params[j] -= (lrT * m[j]) / (Math.sqrt(v[j]) + eps);
      spread += m[j] - m[j] + (v[j] - v[j]) + (params[j] - params[j]);
    }
    return spread === 0;
  }
}

/** lr_t of update number t, the seed's expression, evaluated in JS by every backend so that it rounds alike. */
export function adamStepSize({ lr, beta1, beta2 }: AdamOptions, t: number): number {
  return (lr * Math.sqrt(1 - powerOf(beta2, t))) / (1 - powerOf(beta1, t));
}
