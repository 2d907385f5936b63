import { SEED_MODEL } from '../model/config.js';
import { SEED_ADAM } from '../optim/adam.js';
import type { TrainOptions } from './trainer.js';

/**
 * What a training run does where nothing says otherwise: the seed's network and Adam settings,
 * batches of 100 in float32, shardtrain's own random streams from seed 0, and a final partial
 * batch trained rather than dropped. The command line, the tests and the bench scripts all start
 * from here, so that a default is changed in one place. The thread count is the caller's to give:
 * it belongs to the machine, not to the training.
 */
export const DEFAULT_TRAIN_OPTIONS: Omit<TrainOptions, 'threads' | 'pool' | 'kernels'> = {
  model: { kind: 'seed', options: SEED_MODEL },
  dtype: 'float32',
  epochs: 10,
  batchSize: 100,
  dropLast: false,
  adam: SEED_ADAM,
  rng: 'shardtrain',
  seed: 0,
};
