import { SEED_MODEL } from '../model/config.js';
import { SEED_ADAM } from '../optim/adam.js';
import type { SgdOptions } from '../optim/sgd.js';
import type { PrivacyRequest } from '../privacy/privacy-settings.js';
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
  optimizer: { kind: 'adam', ...SEED_ADAM },
  rng: 'shardtrain',
  seed: 0,
};

/** SGD outside private training: torch.optim.SGD asks for a rate; this one suits the seed's network. */
export const DEFAULT_SGD: SgdOptions = { lr: 0.01, momentum: 0 };

/**
 * What private training (--dp) does where nothing says otherwise, after the best published
 * end-to-end recipes (docs/privacy.md gives the sources and the figures reached with these):
 * large Poisson-sampled batches, a small clip norm, and SGD with momentum and a large step, which
 * the noise of a large batch allows. The noise multiplier or a target epsilon is the user's to give.
 */
export const PRIVATE_TRAIN_DEFAULTS: {
  readonly batchSize: number;
  readonly epochs: number;
  readonly sgd: SgdOptions;
  readonly privacy: Omit<PrivacyRequest, 'noise' | 'targetEpsilon'>;
} = {
  batchSize: 2048,
  epochs: 40,
  sgd: { lr: 4, momentum: 0.9 },
  privacy: { clip: 0.1, delta: 1e-5, accountant: 'rdp', sampling: 'poisson', secureNoise: false },
};
