import { takeFirst, type ImageSet } from '../data/dataset.js';
import { type Model, modelClasses, modelShape } from '../model/model.js';
import { createBackend, type KernelChoice } from '../kernels/index.js';
import type { Dtype, FloatArray } from '../model/float-array.js';
import { Coordinator } from '../parallel/coordinator.js';
import { checkRunMemory } from '../parallel/run-memory.js';
import { createSharedState } from '../parallel/shared-state.js';
import { classScores, confusionMatrix, type ClassScore } from './confusion.js';
import { type Evaluation, scoreTest } from './test-score.js';

export interface TestEvaluation extends Evaluation {
  /** matrix[true][predicted]. */
  readonly confusion: number[][];
  readonly perClass: ClassScore[];
  readonly seconds: number;
  /** The first test image whose loss is not finite (its logits overflowed), or -1. */
  readonly firstNonFinite: number;
}

/**
 * Runs a test set through given weights on a worker pool, with the same evaluation tasks training
 * uses after each epoch (Coordinator.evaluate), so a saved model scores here exactly as it did
 * there. No gradients are computed: one gradient slot is all the shared state needs.
 */
export async function evaluateOnPool(
  model: Model,
  dtype: Dtype,
  params: FloatArray,
  test: ImageSet,
  threads: number,
  kernels: KernelChoice = 'typescript',
  timeoutMs?: number,
): Promise<TestEvaluation> {
  const started = performance.now();
  // The kernels training used, or the last bits of the loss would differ from its report.
  const backend = await createBackend(kernels, dtype);
  const shape = modelShape(model);
  checkRunMemory(backend, model, shape, { slots: 1, threads, optimizerStates: 0, poolUpdates: false }, 'evaluate');
  // An empty training set: the workers never look at it, and the epoch order it sizes stays empty.
  const state = createSharedState(model, backend, takeFirst(test, 0), test, shape, 1);
  state.params.set(params);
  const coordinator = new Coordinator(state, threads, timeoutMs === undefined ? {} : { timeoutMs });
  try {
    await coordinator.evaluate();
  } finally {
    await coordinator.close();
  }
  const confusion = confusionMatrix(test.labels, state.testPredictions, test.count, modelClasses(model));
  return {
    ...scoreTest(state.testLosses, state.testPredictions, test),
    confusion,
    perClass: classScores(confusion),
    seconds: (performance.now() - started) / 1000,
    firstNonFinite: state.testLosses.subarray(0, test.count).findIndex((loss) => !Number.isFinite(loss)),
  };
}
