import type { ImageSet } from '../data/dataset.js';
import type { Backend, BackendHandle } from '../kernels/index.js';
import type { Model, ModelShape } from '../model/model.js';
import type { Dtype, FloatArray } from '../model/float-array.js';
import type { BatchSums } from '../optim/average-slots.js';
import type { Optimizer } from '../optim/optimizer.js';
import { createPoolUpdateState, type PoolUpdateState } from './pool-update.js';
import { POSTED_ARRAY_LIMIT } from './run-memory.js';
import { SettingError } from '../util/errors.js';
import { bytesText } from '../util/machine-memory.js';

/**
 * Everything the workers read or write, each in shared memory so that nothing is copied per step:
 * the images (as stored, bytes for uint8 data), the parameters, one gradient slot per sample of a
 * batch, the training image of each batch position (imageAt), and the per-sample outputs. Workers
 * receive it once, when the pool starts; a step's message then carries only a few integers.
 */
export interface SharedState {
  /** The network every thread computes (plain data: each thread builds its kernels from it). */
  readonly model: Model;
  readonly dtype: Dtype;
  readonly train: ImageSet;
  readonly test: ImageSet;
  /**
   * The flat parameters (layout in model/parameters.ts), written between steps only: by the main
   * thread, or by the pool threads applying the update before a step's barrier.
   */
  readonly params: FloatArray;
  /** batchSize slots laid out by modelShape(model).slots; sample i of a batch writes slot i. */
  readonly gradSlots: FloatArray;
  /** The sum of a batch's slots, where the main thread or the pool threads sum them (optim/average-slots.ts). */
  readonly batchSums: BatchSums;
  /** The step's averaged gradient, which the optimizer applies (on the main thread, or by blocks on the pool). */
  readonly mean: FloatArray;
  /** What lets the pool threads apply the updates themselves; null where only the main thread does. */
  readonly poolUpdate: PoolUpdateState | null;
  /** Per-sample training loss of the current batch, by position in the batch. */
  readonly batchLosses: Float64Array;
  /** What the threads do to each slot once computed: measure its norm, and clip it (below). */
  readonly perSample: PerSampleWork;
  /** Per batch position: the L2 norm of its gradient before clipping, when perSample.measureNorms. */
  readonly sampleNorms: Float64Array;
  /** Private training's noise for the step, one value per parameter, when perSample.noise says to draw it. */
  readonly noise: Float64Array;
  /** The training image at each batch position: the epoch's shuffle, or the step's Poisson draw. */
  readonly imageAt: Int32Array;
  /** Per test image: its loss and the predicted class, written by evaluation tasks. */
  readonly testLosses: Float64Array;
  readonly testPredictions: Int32Array;
  /**
   * Per batch position: the id of the attempt that last completed its slot, so the main thread can
   * sum slots as they complete without clearing flags between steps.
   */
  readonly slotAttempts: Int32Array;
  /**
   * Work counters: next batch position to claim, next test image to claim, next noise chunk to
   * draw, next block of coordinates to sum, and samples of the step completed (indices below).
   */
  readonly counters: Int32Array;
  readonly batchSize: number;
  /** What each pool thread rebuilds the run's kernel backend from. */
  readonly backend: BackendHandle;
}

/** What a pool thread receives: the shared state, and the scratch areas its pool made (pool.ts). */
export interface ThreadData extends SharedState {
  /** Addresses in the shared memory, one per thread, or -1 where the kernels keep their own. */
  readonly areas: Float64Array;
}

/**
 * Work on each sample's gradient that belongs in the pool threads (it is as parallel as the
 * gradients): private training clips every slot to `clipNorm`, and both it and the gradient
 * statistics need each slot's norm.
 */
export interface PerSampleWork {
  /** Each slot's norm into `sampleNorms`; clipping measures them, so a `clipNorm` above 0 needs it. */
  readonly measureNorms: boolean;
  /** 0: no clipping. */
  readonly clipNorm: number;
  /**
   * Private training's seeded noise, which the threads draw in chunks once a step's samples are
   * all claimed (privacy/gaussian-noise.ts), rather than the main thread alone; null: none.
   */
  readonly noise: { readonly seed: number; readonly stddev: number } | null;
}

export const NO_PER_SAMPLE_WORK: PerSampleWork = { measureNorms: false, clipNorm: 0, noise: null };

export const TRAIN_COUNTER = 0;
export const TEST_COUNTER = 1;
export const NOISE_COUNTER = 2;
export const SUM_COUNTER = 3;
export const DONE_COUNTER = 4;
/** Pool threads started since the pool was (re)started: the watchdog's clock waits for all of them. */
export const STARTED_COUNTER = 5;
/** Scratch areas claimed since the pool was (re)started (ThreadData.areas). */
export const CLAIMED_COUNTER = 6;
const COUNTERS = 7;

export function sharedInt32(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(length * 4));
}

export function sharedFloat64(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(length * 8));
}

/**
 * The parameters and gradient slots are allocated by the backend, where its kernels read them in
 * place. With `optimizer` (whose buffers must be shared), the pool threads may apply its updates.
 */
export function createSharedState(
  model: Model,
  backend: Backend,
  train: ImageSet,
  test: ImageSet,
  shape: ModelShape,
  batchSize: number,
  perSample: PerSampleWork = NO_PER_SAMPLE_WORK,
  optimizer: Optimizer | null = null,
): SharedState {
  // The threads clip while they measure: clipping without measuring would silently train unclipped.
  if (perSample.clipNorm > 0 && !perSample.measureNorms) throw new Error('PerSampleWork: a clipNorm above 0 needs measureNorms');
  checkPostable(train, 'trainCount', 'training');
  checkPostable(test, 'testCount', 'test');
  const alloc = (length: number): FloatArray => backend.allocShared(length);
  const parameterCount = shape.total;
  return {
    model,
    dtype: backend.dtype,
    train,
    test,
    params: alloc(parameterCount),
    gradSlots: alloc(batchSize * shape.slots.length),
    batchSums: backend.allocBatchSums(parameterCount),
    mean: alloc(parameterCount),
    poolUpdate: optimizer === null ? null : createPoolUpdateState(backend, optimizer, parameterCount),
    batchLosses: sharedFloat64(batchSize),
    perSample,
    sampleNorms: sharedFloat64(perSample.measureNorms ? batchSize : 0),
    noise: sharedFloat64(perSample.noise !== null ? parameterCount : 0),
    imageAt: sharedInt32(train.count),
    testLosses: sharedFloat64(test.count),
    testPredictions: sharedInt32(test.count),
    slotAttempts: sharedInt32(batchSize),
    counters: sharedInt32(COUNTERS),
    batchSize,
    backend: backend.handle,
  };
}

/** An image set the pool threads would receive cut short (run-memory.ts's POSTED_ARRAY_LIMIT) is refused. */
function checkPostable(set: ImageSet, setting: string, split: string): void {
  const bytes = set.pixels.byteLength;
  if (bytes <= POSTED_ARRAY_LIMIT.bytes) return;
  const fit = Math.floor(POSTED_ARRAY_LIMIT.bytes / (bytes / set.count));
  throw new SettingError(setting, (name) => `the ${split} images take ${bytesText(bytes)}, more than ${POSTED_ARRAY_LIMIT.what}: use ${name(setting)} ${fit} or fewer`);
}
