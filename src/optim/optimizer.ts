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
  /** One descent update of params by grad: updateBlock over every coordinate, as update number step + 1. */
  update(params: FloatArray, grad: FloatArray): boolean;
  /**
   * What update number `t` (counting from 1) does to coordinates [first, last) alone, leaving
   * `step` as it is: the pool threads share one update out by blocks of coordinates. Returns
   * whether every parameter and state value it wrote is finite: a finite gradient can still
   * overflow the update (a learning rate near float32's largest, Adam's v of a gradient past
   * 1e19), and the trainer undoes such a step like a non-finite one, so that the state kept, and
   * checkpointed, is one a run can resume from.
   */
  updateBlock(params: FloatArray, grad: FloatArray, first: number, last: number, t: number): boolean;
}

/**
 * Where an optimizer's state buffers come from, by the name Optimizer.buffers gives them: fresh
 * arrays, or (for a trainer whose pool threads apply updates) shared memory, or, on a pool
 * thread, the buffers the main thread's optimizer already holds.
 */
export type StateBuffers = (name: string, length: number) => FloatArray;
