import { resolve } from 'node:path';
import type { Dtype } from '../model/float-array.js';
import { DEFAULT_TRAIN_OPTIONS } from '../train/defaults.js';
import { type KernelChoice, resolveKernels } from '../kernels/index.js';

import type { ModelChoice } from '../model/model.js';
import type { RngKind } from '../rng/streams.js';
import type { CheckpointMeta } from '../train/checkpoint.js';
import type { DataSelection } from '../data/dataset.js';
import type { DataFlags } from './data-options.js';
import { resumedSettings, type TrainSettings } from '../train/resume.js';
import { type ModelChoiceFlags, modelChoiceFrom } from './model-choice.js';

/** The flags that decide what is trained; a checkpoint records them all. */
export interface SettingFlags extends ModelChoiceFlags, DataFlags {
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

/** Data flags as a checkpoint stores them: the path made absolute, absent flags left out. */
function dataSelectionOf(a: DataFlags): DataSelection {
  const d: DataSelection = {
    data: a.data === undefined ? undefined : resolve(a.data),
    trainImagesKey: a.trainImagesKey,
    trainLabelsKey: a.trainLabelsKey,
    testImagesKey: a.testImagesKey,
    testLabelsKey: a.testLabelsKey,
    pixelDivisor: a.pixelDivisor,
    imageSize: a.imageSize,
    channelsLayout: a.channels,
    trainCount: a.trainCount,
    testCount: a.testCount,
  };
  return Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined)) as DataSelection;
}

/** A fresh run: the flags, with the seed's defaults where they are absent. */
export function settingsFromFlags(a: SettingFlags): TrainSettings {
  const d = DEFAULT_TRAIN_OPTIONS;
  const dtype = a.dtype ?? d.dtype;
  const model = modelChoiceFrom(a);
  return {
    kernels: resolveKernels(a.kernels ?? 'auto', dtype),
    model,
    dtype,
    seed: a.seed ?? d.seed,
    rng: a.rng ?? d.rng,
    batchSize: a.batchSize ?? d.batchSize,
    dropLast: a.dropLast ?? d.dropLast,
    adam: { lr: a.lr ?? d.adam.lr, beta1: a.beta1 ?? d.adam.beta1, beta2: a.beta2 ?? d.adam.beta2, eps: a.eps ?? d.adam.eps },
    data: dataSelectionOf(a),
  };
}

/** A resumed run: the checkpoint's settings, checked against the flags given (train/resume.ts). */
export function settingsFromCheckpoint(a: SettingFlags, meta: CheckpointMeta, dir: string): TrainSettings {
  const { kernels, dtype, seed, rng, batchSize, dropLast, lr, beta1, beta2, eps } = a;
  const { filters1, kernel1, stride1, filters2, kernel2, stride2 } = a;
  const request = {
    kernels: kernels === 'auto' ? undefined : kernels,
    dtype, seed, rng, batchSize, dropLast, lr, beta1, beta2, eps,
    filters1, kernel1, stride1, filters2, kernel2, stride2,
    stack: stackChoiceOf(a),
    data: dataSelectionOf(a),
  };
  return resumedSettings(request, meta, dir);
}

/** The layer stack --model names, if it names one (the seed network is checked by its own flags). */
function stackChoiceOf(a: SettingFlags): (ModelChoice & { kind: 'stack' }) | undefined {
  if (a.model === undefined) return undefined;
  const { filters1, kernel1, stride1, filters2, kernel2, stride2, model } = a;
  const choice = modelChoiceFrom({ filters1, kernel1, stride1, filters2, kernel2, stride2, model });
  return choice.kind === 'stack' ? choice : undefined;
}
