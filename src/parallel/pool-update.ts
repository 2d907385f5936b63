import type { Backend } from '../kernels/index.js';
import type { FloatArray } from '../model/float-array.js';
import type { Optimizer, OptimizerSettings } from '../optim/optimizer.js';

/**
 * Coordinates per block of the pool's slot sum and update: a block's f64 sum (8 KiB) stays in L1
 * while its share of every slot streams past, and a parameter vector of 26k gives 26 blocks to share out.
 */
export const SUM_BLOCK = 1024;

/** Most steps one order may run: the threads leave each step's loss for the main thread. */
export const MAX_ORDER_STEPS = 64;

/**
 * What the pool threads need to apply the optimizer themselves, so that consecutive steps run
 * without the main thread between them (its wake-up, its update and the next order cost 8-11% of
 * a two-thread step on a 2-core VM; docs/experiments.md). Each step, every block of coordinates is
 * summed, averaged, backed up and updated by the thread that claims it; every coordinate gets the
 * main thread's operations, so the weights are bitwise the same. The step is judged once all
 * blocks are in, and undone from the backups if it is not finite.
 */
export interface PoolUpdateState {
  readonly optimizer: OptimizerSettings;
  /** The main thread's optimizer's state, in shared memory, by the names Optimizer.buffers gives. */
  readonly buffers: Readonly<Record<string, FloatArray>>;
  /**
   * Each block's parameters and optimizer state as they were before the update that `backedUp`
   * names (by its number among the pool's updates): what restoreBlocks puts back when the step is
   * not finite, or when a thread failed during it, so that it can be attempted again from where
   * it started.
   */
  readonly backup: { readonly params: FloatArray; readonly buffers: Readonly<Record<string, FloatArray>> };
  readonly backedUp: Int32Array;
  /** Each step's summed loss, in sample order, by the step's index in its order. */
  readonly stepLosses: Float64Array;
}

export function createPoolUpdateState(backend: Backend, optimizer: Optimizer, parameterCount: number): PoolUpdateState {
  const copies = (from: Readonly<Record<string, FloatArray>>) =>
    Object.fromEntries(Object.keys(from).map((name) => [name, backend.allocShared(parameterCount)]));
  return {
    optimizer: optimizer.settings,
    buffers: optimizer.buffers,
    backup: { params: backend.allocShared(parameterCount), buffers: copies(optimizer.buffers) },
    backedUp: new Int32Array(new SharedArrayBuffer(4 * Math.ceil(parameterCount / SUM_BLOCK))),
    stepLosses: new Float64Array(new SharedArrayBuffer(8 * MAX_ORDER_STEPS)),
  };
}

/** A pool thread's part of each update: the main thread's optimizer, on the same buffers. */
export class BlockUpdate {
  private readonly optimizer: Optimizer;
  /** Each state buffer beside its backup, paired once rather than by name at every block. */
  private readonly stateBackups: [values: FloatArray, backup: FloatArray][];

  constructor(
    backend: Backend,
    private readonly update: PoolUpdateState,
    private readonly params: FloatArray,
    private readonly mean: FloatArray,
  ) {
    this.optimizer = backend.optimizer(update.optimizer, params.length, (name) => update.buffers[name]);
    this.stateBackups = Object.entries(update.buffers).map(([name, values]) => [values, update.backup.buffers[name]]);
  }

  /**
   * Update number `t` (counting the optimizer's steps) on coordinates [first, last), a block
   * that this thread has just averaged, after backing the block up under `number` (the update's
   * number among all the pool's updates: restoreBlocks undoes it if the step is not kept).
   * Returns whether the block's parameters and optimizer state came out finite.
   */
  applyBlock(first: number, last: number, t: number, number: number): boolean {
    const { backup, backedUp } = this.update;
    backup.params.set(this.params.subarray(first, last), first);
    for (const [values, copy] of this.stateBackups) copy.set(values.subarray(first, last), first);
    Atomics.store(backedUp, first / SUM_BLOCK, number);
    return this.optimizer.updateBlock(this.params, this.mean, first, last, t);
  }
}

/**
 * Puts back the blocks that update `number` changed: on the main thread after a thread failed
 * during the update's step, on a pool thread when the step turns out not finite.
 */
export function restoreBlocks(update: PoolUpdateState, params: FloatArray, number: number): void {
  const { backup, buffers, backedUp } = update;
  for (let b = 0; b < backedUp.length; b++) {
    if (Atomics.load(backedUp, b) !== number) continue;
    const first = b * SUM_BLOCK;
    const last = Math.min(params.length, first + SUM_BLOCK);
    params.set(backup.params.subarray(first, last), first);
    for (const [name, values] of Object.entries(buffers)) values.set(backup.buffers[name].subarray(first, last), first);
  }
}
