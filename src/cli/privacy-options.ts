import type { Argv } from 'yargs';
import { ACCOUNTANT_KINDS, type AccountantKind } from '../privacy/accountant.js';
import { type PrivacyRequest, type Sampling, SAMPLINGS } from '../privacy/privacy-settings.js';
import { PRIVATE_TRAIN_DEFAULTS } from '../train/defaults.js';
import { UserError } from '../util/errors.js';
import { positiveNumber } from './parse-values.js';
import { flagOf } from './setting-flags.js';

const GROUP = 'Private training (DP-SGD):';

/** Private training's flags; like the other settings, none has a yargs default. */
export function withPrivacyOptions<T>(y: Argv<T>) {
  const d = PRIVATE_TRAIN_DEFAULTS;
  return y
    .option('dp', {
      type: 'boolean',
      describe:
        `train with differential privacy (DP-SGD): clip each sample's gradient, add Gaussian noise, account epsilon. ` +
        `Defaults it changes: --batch-size ${d.batchSize}, --epochs ${d.epochs}, --optimizer sgd --lr ${d.sgd.lr} --momentum ${d.sgd.momentum}`,
      group: GROUP,
    })
    .option('clip', { type: 'number', defaultDescription: String(d.privacy.clip), describe: "each sample's gradient is clipped to this L2 norm (over all parameters)", coerce: positiveNumber('clip'), group: GROUP })
    .option('noise', { type: 'number', describe: 'noise multiplier sigma: the summed gradient gets N(0, (sigma * clip)^2) on every coordinate', coerce: positiveNumber('noise'), group: GROUP })
    .option('target-epsilon', { type: 'number', describe: 'instead of --noise: a noise that keeps the whole run within this epsilon, spending within 0.01 of it', coerce: positiveNumber('target-epsilon'), group: GROUP })
    .option('delta', { type: 'number', defaultDescription: String(d.privacy.delta), describe: 'the delta of the (epsilon, delta) guarantee; below 1/N', coerce: positiveNumber('delta', 1), group: GROUP })
    .option('accountant', { choices: ACCOUNTANT_KINDS, defaultDescription: d.privacy.accountant, describe: "rdp (Renyi DP), rdp-abs (rdp with Google dp_accounting's upper bound at fractional orders, more at orders near 1) or prv (privacy random variables: tighter)", group: GROUP })
    .option('sampling', { choices: SAMPLINGS, defaultDescription: d.privacy.sampling, describe: 'poisson: each step takes each sample with probability 1/ceil(N/batch), as the accounting assumes; shuffle: fixed batches, which the guarantee does not cover', group: GROUP })
    .option('secure-noise', { type: 'boolean', defaultDescription: 'false', describe: "draw the noise and the Poisson batches from the operating system's cryptographic generator (for released weights; not reproducible)", group: GROUP });
}

export interface PrivacyFlags {
  dp?: boolean;
  clip?: number;
  noise?: number;
  targetEpsilon?: number;
  delta?: number;
  accountant?: AccountantKind;
  sampling?: Sampling;
  secureNoise?: boolean;
}

const SETTING_FLAGS = ['clip', 'noise', 'targetEpsilon', 'delta', 'accountant', 'sampling', 'secureNoise'] as const;

/** The private settings the flags give, each optional (a resumed run checks them against its checkpoint). */
export function privacyFlagsGiven(a: PrivacyFlags): Partial<PrivacyRequest> {
  return Object.fromEntries(SETTING_FLAGS.filter((s) => a[s] !== undefined).map((s) => [s, a[s]]));
}

/** What --dp asks for, defaults filled in; null without --dp, where a private setting given is refused. */
export function privacyFromFlags(a: PrivacyFlags): PrivacyRequest | null {
  if (a.dp !== true) {
    const stray = SETTING_FLAGS.find((s) => a[s] !== undefined);
    if (stray !== undefined) throw new UserError(`${flagOf(stray)} is a setting of private training: add --dp`);
    return null;
  }
  if (a.noise !== undefined && a.targetEpsilon !== undefined) throw new UserError('give --noise or --target-epsilon, not both');
  const d = PRIVATE_TRAIN_DEFAULTS.privacy;
  return {
    clip: a.clip ?? d.clip,
    delta: a.delta ?? d.delta,
    accountant: a.accountant ?? d.accountant,
    sampling: a.sampling ?? d.sampling,
    secureNoise: a.secureNoise ?? d.secureNoise,
    ...(a.noise === undefined ? {} : { noise: a.noise }),
    ...(a.targetEpsilon === undefined ? {} : { targetEpsilon: a.targetEpsilon }),
  };
}
