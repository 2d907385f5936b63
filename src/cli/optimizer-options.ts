import type { Argv } from 'yargs';
import { OPTIMIZER_KINDS, type OptimizerKind, type OptimizerSettings } from '../optim/optimizer.js';
import { DEFAULT_SGD, DEFAULT_TRAIN_OPTIONS, PRIVATE_TRAIN_DEFAULTS } from '../train/defaults.js';
import { UserError } from '../util/errors.js';
import { positiveNumber, unitInterval } from './parse-values.js';

/** The optimizer flags; none has a yargs default, so a resumed run can tell which were given. */
export function withOptimizerOptions<T>(y: Argv<T>) {
  const adam = DEFAULT_TRAIN_OPTIONS.optimizer as OptimizerSettings & { kind: 'adam' };
  const dp = PRIVATE_TRAIN_DEFAULTS.sgd;
  return y
    .option('optimizer', { choices: OPTIMIZER_KINDS, defaultDescription: `adam (sgd with --dp)`, describe: 'the update rule: Adam, or SGD with momentum as torch.optim.SGD', group: 'Optimizer:' })
    .option('lr', { type: 'number', defaultDescription: `Adam ${adam.lr}; SGD ${DEFAULT_SGD.lr}, with --dp ${dp.lr}`, describe: 'learning rate', coerce: positiveNumber('lr'), group: 'Optimizer:' })
    .option('momentum', { type: 'number', defaultDescription: `${DEFAULT_SGD.momentum}, with --dp ${dp.momentum}`, describe: 'SGD momentum', coerce: unitInterval('momentum'), group: 'Optimizer:' })
    .option('beta1', { type: 'number', defaultDescription: String(adam.beta1), describe: 'Adam first-moment decay', coerce: unitInterval('beta1'), group: 'Optimizer:' })
    .option('beta2', { type: 'number', defaultDescription: String(adam.beta2), describe: 'Adam second-moment decay', coerce: unitInterval('beta2'), group: 'Optimizer:' })
    .option('eps', { type: 'number', defaultDescription: String(adam.eps), describe: 'Adam epsilon, added to sqrt(v) before the bias correction (as Keras; torch.optim.Adam adds it after)', coerce: positiveNumber('eps'), group: 'Optimizer:' });
}

export interface OptimizerFlags {
  optimizer?: OptimizerKind;
  lr?: number;
  momentum?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

/** The optimizer the flags ask for, with the defaults of ordinary or private training where they are silent. */
export function optimizerFromFlags(a: OptimizerFlags, dp: boolean): OptimizerSettings {
  const kind = a.optimizer ?? (dp ? 'sgd' : 'adam');
  if (kind === 'sgd') {
    const adamFlag = (['beta1', 'beta2', 'eps'] as const).find((flag) => a[flag] !== undefined);
    if (adamFlag !== undefined) throw new UserError(`--${adamFlag} sets Adam, and the optimizer is sgd`);
    const d = dp ? PRIVATE_TRAIN_DEFAULTS.sgd : DEFAULT_SGD;
    return { kind, lr: a.lr ?? d.lr, momentum: a.momentum ?? d.momentum };
  }
  if (a.momentum !== undefined) throw new UserError('--momentum sets SGD, and the optimizer is adam (use --optimizer sgd)');
  const d = DEFAULT_TRAIN_OPTIONS.optimizer as OptimizerSettings & { kind: 'adam' };
  return { kind, lr: a.lr ?? d.lr, beta1: a.beta1 ?? d.beta1, beta2: a.beta2 ?? d.beta2, eps: a.eps ?? d.eps };
}
