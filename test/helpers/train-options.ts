import { SEED_MODEL } from '../../src/model/config.js';
import { SEED_ADAM } from '../../src/optim/adam.js';
import type { TrainOptions } from '../../src/train/trainer.js';

/** The seed's defaults, overridable per test. */
export function trainOptions(overrides: Partial<TrainOptions> = {}): TrainOptions {
  return {
    model: SEED_MODEL,
    dtype: 'float32',
    epochs: 1,
    batchSize: 100,
    dropLast: false,
    threads: 2,
    adam: SEED_ADAM,
    rng: 'shardtrain',
    seed: 0,
    ...overrides,
  };
}
