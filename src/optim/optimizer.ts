import type { FloatArray } from '../model/float-array.js';
import type { AdamOptions } from './adam.js';
import type { SgdOptions } from './sgd.js';

/** Which update rule, with its settings: what a run and its checkpoints record. */
export type OptimizerSettings = ({ readonly kind: 'adam' } & AdamOptions) | ({ readonly kind: 'sgd' } & SgdOptions);
export type OptimizerKind = OptimizerSettings['kind'];
export const OPTIMIZER_KINDS: readonly OptimizerKind[] = ['adam', 'sgd'];

/**
 * What the trainer needs of an optimizer: its state (saved in checkpoints) and one update. Each
 * kernel backend supplies its own implementation (optim/adam.ts and optim/sgd.ts are the
 * references), bitwise the same in the backend's precision.
 */
export interface Optimizer {
  readonly settings: OptimizerSettings;
  /** The state besides the step, by the name a checkpoint stores it under; each the parameters' length. */
  readonly buffers: Readonly<Record<string, FloatArray>>;
  /** Updates applied so far. */
  step: number;
  /** One descent update of params by grad. */
  update(params: FloatArray, grad: FloatArray): void;
}
