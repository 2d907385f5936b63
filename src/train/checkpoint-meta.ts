import { CHANNELS_LAYOUTS } from '../data/dataset.js';
import { KERNEL_CHOICES } from '../kernels/index.js';
import { OPTIMIZER_KINDS } from '../optim/optimizer.js';
import { ACCOUNTANT_KINDS } from '../privacy/accountant.js';
import { SAMPLINGS } from '../privacy/privacy-settings.js';
import type { CheckpointMeta } from './checkpoint.js';

/**
 * Checks a checkpoint's meta JSON field by field before a run trusts it: a hand-edited or damaged
 * file could otherwise ask for a batch of 0 (an endless epoch), a negative learning rate or an
 * unknown optimizer, and fail deep inside training or not at all. `fail` words the problem.
 * The network's fields are checked here for their types; whether its sizes fit together and fit
 * the data is checked where it is built, as for a --model.
 */
export function checkMeta(meta: CheckpointMeta, fail: (problem: string) => never): void {
  const field = (path: string, value: unknown, ok: boolean, wanted: string): void => {
    if (!ok) fail(`its meta's ${path} is ${JSON.stringify(value) ?? 'missing'}, not ${wanted}`);
  };
  const count = (path: string, v: unknown, min: 0 | 1) => field(path, v, Number.isSafeInteger(v) && (v as number) >= min, min === 0 ? 'a whole number from 0' : 'a whole number from 1');
  const positive = (path: string, v: unknown) => field(path, v, typeof v === 'number' && Number.isFinite(v) && v > 0, 'a positive number');
  const fraction = (path: string, v: unknown) => field(path, v, typeof v === 'number' && v >= 0 && v < 1, 'a number from 0 to below 1');
  const oneOf = (path: string, v: unknown, choices: readonly unknown[]) => field(path, v, choices.includes(v), `one of ${choices.join(', ')}`);
  const object = (path: string, v: unknown) => field(path, v, typeof v === 'object' && v !== null && !Array.isArray(v), 'an object');

  object('position', meta.position);
  const p = meta.position;
  count('position.epoch', p.epoch, 0);
  count('position.batch', p.batch, 0);
  count('position.epochSamples', p.epochSamples, 0);
  field('position.epochLossSum', p.epochLossSum, typeof p.epochLossSum === 'number' && Number.isFinite(p.epochLossSum), 'a finite number');
  count('step', meta.step, 0);
  if ((meta.config === undefined) === (meta.spec === undefined)) fail(`its meta has ${meta.config === undefined ? 'neither' : 'both'} a 'config' and a 'spec'; it needs exactly one`);
  if (meta.config !== undefined) {
    object('config', meta.config);
    for (const conv of ['conv1', 'conv2'] as const) {
      object(`config.${conv}`, meta.config[conv]);
      for (const size of ['filters', 'kernelHeight', 'kernelWidth', 'stride'] as const) count(`config.${conv}.${size}`, meta.config[conv][size], 1);
    }
  } else {
    object('spec', meta.spec);
    const spec = meta.spec!;
    field('spec.input', spec.input, Array.isArray(spec.input) && spec.input.length === 3 && spec.input.every((n) => Number.isSafeInteger(n) && n >= 1), 'three whole numbers from 1');
    count('spec.classes', spec.classes, 1);
    field('spec.layers', spec.layers, Array.isArray(spec.layers) && spec.layers.every((l) => typeof l === 'object' && l !== null), 'a list of layers');
  }
  oneOf('dtype', meta.dtype, ['float32', 'float64']);
  oneOf('kernels', meta.kernels, KERNEL_CHOICES);
  field('kernelVariant', meta.kernelVariant, typeof meta.kernelVariant === 'string', 'a string');
  count('batchSize', meta.batchSize, 1);
  field('dropLast', meta.dropLast, typeof meta.dropLast === 'boolean', 'true or false');
  object('optimizer', meta.optimizer);
  const o = meta.optimizer;
  oneOf('optimizer.kind', o.kind, OPTIMIZER_KINDS);
  positive('optimizer.lr', o.lr);
  if (o.kind === 'adam') {
    fraction('optimizer.beta1', o.beta1);
    fraction('optimizer.beta2', o.beta2);
    positive('optimizer.eps', o.eps);
  } else {
    fraction('optimizer.momentum', o.momentum);
  }
  if (meta.privacy !== undefined) {
    object('privacy', meta.privacy);
    const q = meta.privacy;
    positive('privacy.clip', q.clip);
    positive('privacy.noise', q.noise);
    field('privacy.delta', q.delta, typeof q.delta === 'number' && q.delta > 0 && q.delta < 1, 'a number between 0 and 1');
    oneOf('privacy.accountant', q.accountant, ACCOUNTANT_KINDS);
    oneOf('privacy.sampling', q.sampling, SAMPLINGS);
    field('privacy.secureNoise', q.secureNoise, q.secureNoise === undefined || typeof q.secureNoise === 'boolean', 'true or false');
    if (q.targetEpsilon !== undefined) positive('privacy.targetEpsilon', q.targetEpsilon);
  }
  oneOf('rng', meta.rng, ['shardtrain', 'numpy']);
  count('seed', meta.seed, 0);
  object('data', meta.data);
  count('data.trainCount', meta.data.trainCount, 1);
  count('data.testCount', meta.data.testCount, 1);
  object('dataFlags', meta.dataFlags);
  const d = meta.dataFlags;
  for (const key of ['data', 'trainImagesKey', 'trainLabelsKey', 'testImagesKey', 'testLabelsKey']) {
    field(`dataFlags.${key}`, d[key], d[key] === undefined || typeof d[key] === 'string', 'a string');
  }
  if (d.pixelDivisor !== undefined) positive('dataFlags.pixelDivisor', d.pixelDivisor);
  if (d.imageSize !== undefined) {
    const size = d.imageSize;
    field('dataFlags.imageSize', size, Array.isArray(size) && size.length === 2 && size.every((n) => Number.isSafeInteger(n) && n >= 1), 'two whole numbers from 1');
  }
  if (d.channelsLayout !== undefined) oneOf('dataFlags.channelsLayout', d.channelsLayout, CHANNELS_LAYOUTS);
  for (const key of ['trainCount', 'testCount']) if (d[key] !== undefined) count(`dataFlags.${key}`, d[key], 0);
  if (meta.epochs !== undefined) count('epochs', meta.epochs, 1);
  if (meta.noiseScale !== undefined) {
    object('noiseScale', meta.noiseScale);
    const n = meta.noiseScale;
    count('noiseScale.batches', n.batches, 0);
    // Every batch pooled has two samples or more: one pair and one degree of freedom at least.
    const weight = (path: string, v: unknown, least: number) => field(path, v, Number.isSafeInteger(v) && (v as number) >= least, `a whole number from ${least}`);
    weight('noiseScale.gradientSquaredWeight', n.gradientSquaredWeight, 2 * n.batches);
    weight('noiseScale.traceWeight', n.traceWeight, n.batches);
    for (const key of ['gradientSquaredSum', 'traceSum'] as const) field(`noiseScale.${key}`, n[key], typeof n[key] === 'number' && Number.isFinite(n[key]), 'a finite number');
  }
}
