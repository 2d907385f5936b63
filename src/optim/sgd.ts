import { allocFloat, type Dtype, type FloatArray } from '../model/float-array.js';
import type { Optimizer, OptimizerSettings, StateBuffers } from './optimizer.js';

export interface SgdOptions {
  readonly lr: number;
  /** 0 for plain gradient descent. */
  readonly momentum: number;
}

/**
 * Stochastic gradient descent with momentum as torch.optim.SGD computes it (no dampening, no
 * Nesterov, no weight decay): the first update takes velocity = grad, later ones
 * velocity = momentum * velocity + grad, and then params -= lr * velocity. The published private
 * recipes use it, so a run can be compared with theirs. Cheap enough per step that every backend
 * shares this one implementation: each value is computed in f64 and stored once in the
 * parameters' precision.
 */
export class Sgd implements Optimizer {
  readonly settings: OptimizerSettings;
  readonly velocity: FloatArray;
  step = 0;

  constructor(
    readonly options: SgdOptions,
    dtype: Dtype,
    size: number,
    buffers: StateBuffers = (_name, length) => allocFloat(dtype, length),
  ) {
    this.settings = { kind: 'sgd', lr: options.lr, momentum: options.momentum };
    this.velocity = buffers('sgd_velocity', size);
  }

  get buffers(): Readonly<Record<string, FloatArray>> {
    return { sgd_velocity: this.velocity };
  }

  update(params: FloatArray, grad: FloatArray): boolean {
    return this.updateBlock(params, grad, 0, params.length, ++this.step);
  }

  updateBlock(params: FloatArray, grad: FloatArray, first: number, last: number, t: number): boolean {
    const { lr, momentum } = this.options;
    const velocity = this.velocity;
    // x - x is 0 for a finite x and NaN otherwise, so spread stays 0 while every value is finite.
    let spread = 0;
    for (let j = first; j < last; j++) {
      const v = t === 1 ? grad[j] : momentum * velocity[j] + grad[j];
      velocity[j] = v;
      params[j] -= lr * velocity[j];
      spread += velocity[j] - velocity[j] + (params[j] - params[j]);
    }
    return spread === 0;
  }
}
