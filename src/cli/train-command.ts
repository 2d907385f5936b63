import { join } from 'node:path';
import type { Argv } from 'yargs';
import type { Dataset } from '../data/dataset.js';
import { loadWeights, type LoadedWeights } from '../io/load-weights.js';
import { defaultThreadCount } from '../parallel/coordinator.js';
import { validateSeed } from '../rng/streams.js';
import { CHECKPOINT_FILE, loadCheckpoint, type Checkpoint } from '../train/checkpoint.js';
import { dataIdentity } from '../train/data-identity.js';
import { stepsPerEpoch } from '../train/batch-plan.js';
import { lockCheckpointDirectory } from '../train/checkpoint-lock.js';
import { checkEpochsLeft, checkInitModel, checkSameData, type TrainSettings } from '../train/resume.js';
import { Trainer } from '../train/trainer.js';
import { UserError } from '../util/errors.js';
import { loadData, printWarnings, withDataOptions } from './data-options.js';
import { requireFlagValues } from './flag-values.js';
import { Interrupts } from './interrupts.js';
import { runTraining } from './train-run.js';
import { withModelOptions } from './model-options.js';
import { modelForData, withModelChoice } from './model-choice.js';
import { nonNegativeInt, positiveInt } from './parse-values.js';
import { TIMEOUT_FLAG } from './timeout-flag.js';
import { messageForUser } from './setting-flags.js';
import { checkOutputs, checkParameterCount, checkPosition, checkResumeDirectory, checkSaveTarget, checkWithinTarget, fromCheckpoint } from './train-checks.js';
import { epochsOf, settingsFromCheckpoint, settingsFromFlags } from './train-settings.js';
import { DEFAULT_TRAIN_OPTIONS, PRIVATE_TRAIN_DEFAULTS } from '../train/defaults.js';
import { withOptimizerOptions } from './optimizer-options.js';
import { withPrivacyOptions } from './privacy-options.js';
import { type PrivacySettings, resolvePrivacy, sampleRateOf } from '../privacy/privacy-settings.js';
import { KERNELS_FLAG } from './kernels-flag.js';
import { type ModelChoice, modelShape } from '../model/model.js';
import { completeSpec, formatCompact } from '../model/stack/index.js';
import { type NpzArchive, openNpz } from '../data/npz.js';
import { holdsStackWeights, readStackWeights } from '../io/stack-weights.js';
import { MODEL_SETTINGS } from '../model/config.js';
import type { FloatArray } from '../model/float-array.js';

// Flags a checkpoint records have no yargs default (the help shows it): see train-settings.ts.
export function trainBuilder<T>(y: Argv<T>) {
  const d = DEFAULT_TRAIN_OPTIONS;
  const p = PRIVATE_TRAIN_DEFAULTS;
  const training = y
    .option('epochs', { type: 'number', defaultDescription: `${d.epochs} (${p.epochs} with --dp)`, describe: 'train until this many epochs are done (a resumed run counts the ones before)', coerce: positiveInt('epochs', 1_000_000) })
    .option('batch-size', { type: 'number', defaultDescription: `${d.batchSize} (${p.batchSize} with --dp)`, describe: "samples whose gradients are averaged per optimizer step (with --dp's Poisson sampling, the most the expected batch may be)", coerce: positiveInt('batch-size', 1_000_000) })
    .option('drop-last', { type: 'boolean', defaultDescription: String(d.dropLast), describe: "drop a final partial batch (the seed's behaviour) instead of training it" })
    .option('threads', { type: 'number', default: defaultThreadCount(), describe: "worker threads in the pool (default: this machine's available parallelism)", coerce: positiveInt('threads', 1024) })
    .option('dtype', { choices: ['float32', 'float64'] as const, defaultDescription: d.dtype, describe: 'precision of parameters, gradients and activations' })
    .option('kernels', { ...KERNELS_FLAG, defaultDescription: 'auto' })
    .option('seed', { type: 'number', defaultDescription: String(d.seed), describe: 'seed of the initialisation and of the epoch shuffles', coerce: nonNegativeInt('seed', 2 ** 32 - 1) })
    .option('rng', { choices: ['shardtrain', 'numpy'] as const, defaultDescription: d.rng, describe: "random streams: shardtrain's own, or numpy's legacy np.random to reproduce the seed" })
    .option('save', { type: 'string', describe: "write the trained weights to FILE.npz (the seed network in the article's names; any other in torch.nn.Sequential's, with its architecture)" })
    .option('json', { type: 'boolean', default: false, describe: 'print the model summary, then one object per epoch, as JSON lines on stdout and nothing else there' })
    .option('grad-stats', { type: 'boolean', defaultDescription: 'off; a resumed run: as it ran', describe: "estimate the gradient noise scale B_simple from the per-sample gradients each epoch: the batch size beyond which more samples per step (and more threads) pay less" })
    .group(['epochs', 'batch-size', 'drop-last', 'threads', 'dtype', 'kernels', 'seed', 'rng', 'save', 'json', 'grad-stats'], 'Training:')
    .option('checkpoint', { type: 'string', describe: 'write DIR/checkpoint.npz at the end of every epoch (and see --checkpoint-every); a DIR that holds one already is refused: continue it with --resume', group: 'Checkpoints and faults:' })
    .option('checkpoint-every', { type: 'number', describe: 'also checkpoint every N steps (into --checkpoint or --resume DIR)', coerce: positiveInt('checkpoint-every'), group: 'Checkpoints and faults:' })
    .option('resume', { type: 'string', describe: 'continue the run checkpointed in DIR (its model, data and settings; flags given must agree)', group: 'Checkpoints and faults:' })
    .option('init', { type: 'string', conflicts: 'resume', describe: "start from the weights in FILE.npz (saved by train --save, the article's numpy code, or PyTorch: in the seed's names, or a state_dict in nn.Sequential's with the architecture as JSON); the model follows the file", group: 'Checkpoints and faults:' })
    .option('timeout', { ...TIMEOUT_FLAG, group: 'Checkpoints and faults:' });
  return requireFlagValues(withDataOptions(withModelOptions(withModelChoice(withPrivacyOptions(withOptimizerOptions(training))))));
}

type TrainArgs = Awaited<ReturnType<ReturnType<typeof trainBuilder>['parseAsync']>>;

export async function runTrain(a: TrainArgs): Promise<void> {
  const interrupts = new Interrupts();
  try {
    await train(a, interrupts);
  } finally {
    interrupts.dispose();
  }
}

async function train(a: TrainArgs, interrupts: Interrupts): Promise<void> {
  if (a.resume !== undefined) checkResumeDirectory(a.resume);
  const resumed: Checkpoint | null = a.resume === undefined ? null : await loadCheckpoint(a.resume);
  const settings = resumed === null ? settingsFromFlags(a) : settingsFromCheckpoint(a, resumed.meta, a.resume!);
  const epochs = epochsOf(a, settings, resumed?.meta.epochs);
  validateSeed(settings.rng, settings.seed, epochs);
  if (resumed !== null) checkEpochsLeft(resumed.meta, epochs, a.resume!, a.epochs !== undefined, a.save !== undefined);
  const checkpointDir = checkOutputs(a);
  checkSaveTarget(a.save, [
    ['the training data', settings.data.data],
    ...[checkpointDir, a.resume].map((dir) => [`the run's checkpoint`, dir === undefined ? undefined : join(dir, CHECKPOINT_FILE)] as const),
  ]);
  if (checkpointDir !== undefined) lockCheckpointDirectory(checkpointDir, a.checkpoint !== undefined ? '--checkpoint' : '--resume');

  const dataset = await loadData(settings.data);
  if (dataset.train.count === 0) throw new UserError('--train-count 0 leaves no training images');
  // Each epoch reports a test loss and accuracy, which no test images would make NaN.
  if (dataset.test.count === 0) throw new UserError('--test-count 0 leaves no test images to evaluate after each epoch');
  if (a.dropLast === true && settings.privacy?.sampling === 'poisson') {
    throw new UserError('--drop-last: Poisson sampling draws each batch anew, with no last partial batch to drop (it applies to --sampling shuffle)');
  }
  if (settings.dropLast && settings.privacy?.sampling !== 'poisson' && settings.batchSize > dataset.train.count) {
    throw new UserError(`--batch-size ${settings.batchSize} with --drop-last: the ${dataset.train.count} training images make no full batch, so nothing would be trained`);
  }
  // Hashing the data is only needed to write or check a checkpoint.
  const identity = checkpointDir !== undefined ? dataIdentity(dataset) : null;
  if (resumed !== null && identity !== null) checkSameData(resumed.meta, identity, a.resume!);
  const initial = a.init === undefined ? null : await initialWeights(a, a.init, settings, dataset);
  const choice: ModelChoice = initial?.choice ?? settings.model;
  const source = resumed !== null ? undefined : initial !== null ? `--init ${a.init}` : a.model === undefined ? undefined : `--model ${a.model}`;
  const build = () => modelForData(choice, dataset, source);
  const model = await withDataSource(settings.data.data, async () => (resumed === null ? build() : fromCheckpoint(a.resume!, build)));
  const privacy = privacyOf(settings, dataset.train.count, epochs);
  if (privacy !== undefined) {
    const asked = a.epochs !== undefined ? `--epochs ${epochs}` : resumed?.meta.epochs !== undefined ? `the run's ${epochs} epochs` : `the default ${epochs} epochs`;
    checkWithinTarget(privacy, sampleRateOf(privacy.sampling, dataset.train.count, settings.batchSize), epochs, stepsPerEpochOf(settings, dataset.train.count), asked);
  }
  if (resumed !== null) checkPosition(a.resume!, resumed.meta.position.batch, stepsPerEpochOf(settings, dataset.train.count));
  if (resumed !== null) checkParameterCount(a.resume!, resumed.params.length, modelShape(model).total);
  // A reporting flag, not a setting: a resumed run reports as it did unless told otherwise.
  const gradStats = a.gradStats ?? resumed?.meta.noiseScale !== undefined;
  const trainer = await withDataSource(settings.data.data, () =>
    Trainer.create(dataset, { ...trainOptionsOf(settings), privacy, gradientStats: gradStats, model: choice, epochs, threads: a.threads, pool: { timeoutMs: a.timeout * 1000 } }),
  );
  printWarnings(dataset);
  if (initial !== null) trainer.setParams(initial.params);
  if (resumed !== null) {
    trainer.restore(resumed);
    if (resumed.meta.kernelVariant !== trainer.kernelName) {
      // Not refused: the other build may simply not run here. But the bits will differ.
      process.stderr.write(
        `shardtrain: note: the checkpoint was computed with ${resumed.meta.kernelVariant} kernels and this run uses ${trainer.kernelName}; ` +
          'the result will differ in the last bits from an uninterrupted run\n',
      );
    }
  }

  const checkpointing = checkpointDir !== undefined && identity !== null ? { dir: checkpointDir, identity, dataFlags: { ...settings.data } } : null;
  await runTraining(trainer, a, checkpointing, resumed, interrupts);
}

/** --init: the file decides the network; model flags that are given must describe the same one. */
async function initialWeights(a: TrainArgs, path: string, settings: TrainSettings, dataset: Dataset): Promise<{ choice: ModelChoice; params: FloatArray }> {
  const archive = await openNpz(path);
  if (holdsStackWeights(archive)) {
    const seedFlag = MODEL_SETTINGS.find((setting) => a[setting] !== undefined);
    if (seedFlag !== undefined) throw new UserError(`--init ${path}: --${seedFlag} sizes the seed network, and the file holds another`);
    if (a.model !== undefined && settings.model.kind === 'seed') throw new UserError(`--init ${path}: --model ${a.model} is the seed network, and the file holds another; leave --model out`);
    const weights = await readStackWeights(archive, settings.dtype);
    const fromFile = formatCompact(weights.spec.layers);
    if (settings.model.kind === 'stack') {
      const given = formatCompact(completeSpec(settings.model.layers, weights.spec).layers);
      if (given !== fromFile) throw new UserError(`--init ${path}: --model ${a.model} describes another network than the file's (${fromFile}); leave --model out`);
    }
    return { choice: { kind: 'stack', layers: weights.spec }, params: weights.params };
  }
  if (settings.model.kind === 'stack') throw new UserError(`--init ${path}: the file holds the seed network's weights; leave out --model ${a.model}`);
  const weights = await seedWeights(a, archive, dataset);
  return { choice: { kind: 'seed', options: weights.model }, params: weights.params };
}

async function seedWeights(a: TrainArgs, archive: NpzArchive, dataset: Dataset): Promise<LoadedWeights> {
  const path = archive.path;
  const { dtype } = settingsFromFlags(a);
  const weights = await loadWeights(archive, {
    dtype,
    stride1: a.stride1,
    stride2: a.stride2,
    imageSize: [dataset.train.height, dataset.train.width],
    imagesName: 'the training images',
  });
  checkInitModel(a, weights.model, path);
  if (weights.classes !== dataset.classes) {
    throw new UserError(`--init ${path}: the weights have ${weights.classes} classes but the data has ${dataset.classes}`);
  }
  return weights;
}

function trainOptionsOf(s: TrainSettings) {
  return { model: s.model, dtype: s.dtype, kernels: s.kernels, batchSize: s.batchSize, dropLast: s.dropLast, optimizer: s.optimizer, rng: s.rng, seed: s.seed };
}

/** Private training's settings for this data, the noise calibrated to a target epsilon over all `epochs` epochs. */
function privacyOf(s: TrainSettings, samples: number, epochs: number): PrivacySettings | undefined {
  if (s.privacy === undefined) return undefined;
  return resolvePrivacy(s.privacy, samples, s.batchSize, epochs * stepsPerEpochOf(s, samples));
}

function stepsPerEpochOf(s: TrainSettings, samples: number): number {
  return stepsPerEpoch(samples, s.batchSize, s.dropLast, s.privacy?.sampling);
}

/** Model options that do not fit a file's images are reported with the file's name. */
async function withDataSource<T>(dataPath: string | undefined, build: () => Promise<T>): Promise<T> {
  try {
    return await build();
  } catch (e) {
    if (e instanceof UserError && dataPath !== undefined) throw new UserError(`${dataPath}: ${messageForUser(e)}`, e.exitCode);
    throw e;
  }
}
