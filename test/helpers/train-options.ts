import { DEFAULT_TRAIN_OPTIONS } from '../../src/train/defaults.js';
import type { TrainOptions } from '../../src/train/trainer.js';

/** The defaults with one epoch on two threads (enough to exercise the pool), overridable per test. */
export function trainOptions(overrides: Partial<TrainOptions> = {}): TrainOptions {
  return { ...DEFAULT_TRAIN_OPTIONS, epochs: 1, threads: 2, ...overrides };
}
