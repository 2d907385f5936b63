import { resolve } from 'node:path';
import type { ModelOptions } from '../model/config.js';
import type { Dtype } from '../model/float-array.js';
import { SEED_ADAM, type AdamOptions } from '../optim/adam.js';
import type { KernelChoice } from '../kernels/index.js';
import { kernelsOption } from './kernels-option.js';
import type { RngKind } from '../rng/streams.js';
import type { CheckpointMeta } from '../train/checkpoint.js';
import { UserError } from '../util/errors.js';
import type { DataFlags } from './data-options.js';
import { anyModelFlag, type ModelFlags, modelOptionsFrom } from './model-options.js';

/** The flags that decide what is trained; a checkpoint records them all. */
export interface SettingFlags extends ModelFlags, DataFlags {
  dtype?: Dtype;
  seed?: number;
  rng?: RngKind;
  batchSize?: number;
  dropLast?: boolean;
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  kernels?: KernelChoice | 'auto';
}

export interface TrainSettings {
  readonly kernels: KernelChoice;
  readonly model: ModelOptions;
  readonly dtype: Dtype;
  readonly seed: number;
  readonly rng: RngKind;
  readonly batchSize: number;
  readonly dropLast: boolean;
  readonly adam: AdamOptions;
  readonly data: DataFlags;
}

export const DEFAULT_SETTINGS = { dtype: 'float32' as Dtype, seed: 0, rng: 'shardtrain' as RngKind, batchSize: 100, dropLast: false };

/** Data flags as a checkpoint stores them: the path made absolute, absent flags left out. */
export function dataFlagsOf(a: DataFlags): DataFlags {
  const d: DataFlags = {
    data: a.data === undefined ? undefined : resolve(a.data),
    trainImagesKey: a.trainImagesKey,
    trainLabelsKey: a.trainLabelsKey,
    testImagesKey: a.testImagesKey,
    testLabelsKey: a.testLabelsKey,
    pixelDivisor: a.pixelDivisor,
    imageSize: a.imageSize,
    trainCount: a.trainCount,
    testCount: a.testCount,
  };
  return Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined)) as DataFlags;
}

/** A fresh run: the flags, with the seed's defaults where they are absent. */
export function settingsFromFlags(a: SettingFlags): TrainSettings {
  const dtype = a.dtype ?? DEFAULT_SETTINGS.dtype;
  return {
    kernels: kernelsOption(a.kernels ?? 'auto', dtype),
    model: modelOptionsFrom(a),
    dtype: a.dtype ?? DEFAULT_SETTINGS.dtype,
    seed: a.seed ?? DEFAULT_SETTINGS.seed,
    rng: a.rng ?? DEFAULT_SETTINGS.rng,
    batchSize: a.batchSize ?? DEFAULT_SETTINGS.batchSize,
    dropLast: a.dropLast ?? DEFAULT_SETTINGS.dropLast,
    adam: { lr: a.lr ?? SEED_ADAM.lr, beta1: a.beta1 ?? SEED_ADAM.beta1, beta2: a.beta2 ?? SEED_ADAM.beta2, eps: a.eps ?? SEED_ADAM.eps },
    data: dataFlagsOf(a),
  };
}

/**
 * A resumed run: everything comes from the checkpoint; a flag that is given must agree with it,
 * because continuing with another model, optimiser or data would not be the same training.
 */
export function settingsFromCheckpoint(a: SettingFlags, meta: CheckpointMeta, dir: string): TrainSettings {
  const refuse = (flag: string, saved: unknown, given: unknown): never => {
    const was = saved === undefined ? `without ${flag}` : `with ${flag} ${show(saved)}`;
    throw new UserError(`--resume ${dir}: the checkpoint was trained ${was}, not with ${flag} ${show(given)}`);
  };
  const agree = <T>(flag: string, given: T | undefined, saved: T): T => {
    if (given !== undefined && JSON.stringify(given) !== JSON.stringify(saved)) refuse(flag, saved, given);
    return saved;
  };
  const savedModel: ModelOptions = { conv1: meta.config.conv1, conv2: meta.config.conv2 };
  if (anyModelFlag(a)) {
    const given = modelOptionsFrom(a, savedModel);
    if (JSON.stringify(given) !== JSON.stringify(savedModel)) {
      throw new UserError(`--resume ${dir}: the model flags describe another network than the checkpoint's (${describeModel(savedModel)})`);
    }
  }
  const savedData = meta.dataFlags as DataFlags;
  const givenData = dataFlagsOf(a);
  for (const [key, value] of Object.entries(givenData)) {
    agree(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, value, (savedData as Record<string, unknown>)[key]);
  }
  if (a.kernels !== undefined && a.kernels !== 'auto' && a.kernels !== meta.kernels) refuse('--kernels', meta.kernels, a.kernels);
  return {
    kernels: meta.kernels,
    model: savedModel,
    dtype: agree('--dtype', a.dtype, meta.dtype),
    seed: agree('--seed', a.seed, meta.seed),
    rng: agree('--rng', a.rng, meta.rng),
    batchSize: agree('--batch-size', a.batchSize, meta.batchSize),
    dropLast: agree('--drop-last', a.dropLast, meta.dropLast),
    adam: {
      lr: agree('--lr', a.lr, meta.adam.lr),
      beta1: agree('--beta1', a.beta1, meta.adam.beta1),
      beta2: agree('--beta2', a.beta2, meta.adam.beta2),
      eps: agree('--eps', a.eps, meta.adam.eps),
    },
    data: savedData,
  };
}

export function describeModel(m: ModelOptions): string {
  const c = (o: ModelOptions['conv1']) => `${o.filters} ${o.kernelHeight}x${o.kernelWidth} stride ${o.stride}`;
  return `conv ${c(m.conv1)}, conv ${c(m.conv2)}`;
}

function show(v: unknown): string {
  return Array.isArray(v) ? v.join('x') : String(v);
}
