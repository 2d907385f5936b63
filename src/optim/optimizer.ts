import type { FloatArray } from '../model/float-array.js';

/**
 * What the trainer needs of an optimizer: its state (saved in checkpoints) and one update. Each
 * kernel backend supplies its own implementation (optim/adam.ts is the reference), bitwise the same
 * in the backend's precision.
 */
export interface Optimizer {
  /** Adam's first and second moments, the length of the parameters. */
  readonly m: FloatArray;
  readonly v: FloatArray;
  /** Updates applied so far. */
  step: number;
  /** One descent update of params by grad. */
  update(params: FloatArray, grad: FloatArray): void;
}
