import { resolve } from 'node:path';
import type { Dtype } from '../model/float-array.js';
import { DEFAULT_TRAIN_OPTIONS } from '../train/defaults.js';
import { type KernelChoice, resolveKernels } from '../kernels/index.js';

import type { RngKind } from '../rng/streams.js';
import type { CheckpointMeta } from '../train/checkpoint.js';
import type { DataSelection } from '../data/dataset.js';
import type { DataFlags } from './data-options.js';
import { resumedSettings, type TrainSettings } from '../train/resume.js';
import { type ModelChoiceFlags, modelChoiceFrom } from './model-choice.js';
import { type OptimizerFlags, optimizerFromFlags } from './optimizer-options.js';
import { type PrivacyFlags, privacyFlagsGiven, privacyFromFlags } from './privacy-options.js';
import { PRIVATE_TRAIN_DEFAULTS } from '../train/defaults.js';

/** The flags that decide what is trained; a checkpoint records them all. */
export interface SettingFlags extends ModelChoiceFlags, DataFlags, OptimizerFlags, PrivacyFlags {
  dtype?: Dtype;
  seed?: number;
  rng?: RngKind;
  batchSize?: number;
  dropLast?: boolean;
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
  const privacy = privacyFromFlags(a);
  return {
    kernels: resolveKernels(a.kernels ?? 'auto', dtype),
    model,
    dtype,
    seed: a.seed ?? d.seed,
    rng: a.rng ?? d.rng,
    batchSize: a.batchSize ?? (privacy === null ? d.batchSize : PRIVATE_TRAIN_DEFAULTS.batchSize),
    dropLast: a.dropLast ?? d.dropLast,
    optimizer: optimizerFromFlags(a, privacy !== null),
    ...(privacy === null ? {} : { privacy }),
    data: dataSelectionOf(a),
  };
}

/** A resumed run: the checkpoint's settings, checked against the flags given (train/resume.ts). */
export function settingsFromCheckpoint(a: SettingFlags, meta: CheckpointMeta, dir: string): TrainSettings {
  const { kernels, dtype, seed, rng, batchSize, dropLast, optimizer, lr, momentum, beta1, beta2, eps, dp } = a;
  const { filters1, kernel1, stride1, filters2, kernel2, stride2 } = a;
  const request = {
    kernels: kernels === 'auto' ? undefined : kernels,
    dtype, seed, rng, batchSize, dropLast, optimizer, lr, momentum, beta1, beta2, eps,
    dp, privacy: privacyFlagsGiven(a),
    filters1, kernel1, stride1, filters2, kernel2, stride2,
    model: a.model === undefined ? undefined : modelChoiceFrom(a),
    data: dataSelectionOf(a),
  };
  return resumedSettings(request, meta, dir);
}

/** Epochs to reach: --epochs, a resumed run's own, or the default of ordinary or private training. */
export function epochsOf(a: { epochs?: number }, settings: TrainSettings, resumedRunEpochs?: number): number {
  return a.epochs ?? resumedRunEpochs ?? (settings.privacy === undefined ? DEFAULT_TRAIN_OPTIONS.epochs : PRIVATE_TRAIN_DEFAULTS.epochs);
}
