import type { Argv } from 'yargs';
import { checkWritableFile } from '../io/output-path.js';
import { saveWeights } from '../io/weights-file.js';
import { SEED_ADAM } from '../optim/adam.js';
import { defaultThreadCount } from '../parallel/coordinator.js';
import { validateSeed } from '../rng/streams.js';
import { Trainer } from '../train/trainer.js';
import { UserError } from '../util/errors.js';
import { loadData, withDataOptions } from './data-options.js';
import { epochJson, formatEpochLine, percent } from './epoch-report.js';
import { modelOptionsFrom, withModelOptions } from './model-options.js';
import { nonNegativeInt, positiveInt, positiveNumber, unitInterval } from './parse-values.js';
import { EpochProgress } from './progress.js';

export function trainBuilder<T>(y: Argv<T>) {
  const training = y
    .option('epochs', { type: 'number', default: 10, describe: 'passes over the training set', coerce: positiveInt('epochs', 1_000_000) })
    .option('batch-size', { type: 'number', default: 100, describe: 'samples whose gradients are averaged per Adam step', coerce: positiveInt('batch-size', 1_000_000) })
    .option('drop-last', { type: 'boolean', default: false, describe: "drop a final partial batch (the seed's behaviour) instead of training it" })
    .option('threads', { type: 'number', default: defaultThreadCount(), describe: 'worker threads in the pool (default: this machine\'s available parallelism)', coerce: positiveInt('threads', 1024) })
    .option('dtype', { choices: ['float32', 'float64'] as const, default: 'float32' as const, describe: 'precision of parameters, gradients and activations' })
    .option('seed', { type: 'number', default: 0, describe: 'seed of the initialisation and of the epoch shuffles', coerce: nonNegativeInt('seed', 2 ** 32 - 1) })
    .option('rng', { choices: ['shardtrain', 'numpy'] as const, default: 'shardtrain' as const, describe: "random streams: shardtrain's own, or numpy's legacy np.random to reproduce the seed" })
    .option('save', { type: 'string', describe: 'write the trained weights to FILE.npz (seed names and shapes)', requiresArg: true })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object per epoch on stdout and nothing else there' })
    .group(['epochs', 'batch-size', 'drop-last', 'threads', 'dtype', 'seed', 'rng', 'save', 'json'], 'Training:')
    .option('lr', { type: 'number', default: SEED_ADAM.lr, describe: 'Adam learning rate', coerce: positiveNumber('lr'), group: 'Adam:' })
    .option('beta1', { type: 'number', default: SEED_ADAM.beta1, describe: 'Adam first-moment decay', coerce: unitInterval('beta1'), group: 'Adam:' })
    .option('beta2', { type: 'number', default: SEED_ADAM.beta2, describe: 'Adam second-moment decay', coerce: unitInterval('beta2'), group: 'Adam:' })
    .option('eps', { type: 'number', default: SEED_ADAM.eps, describe: 'Adam epsilon', coerce: positiveNumber('eps'), group: 'Adam:' });
  return withDataOptions(withModelOptions(training));
}

/** Model options that do not fit a file's images are reported with the file's name. */
function withDataSource<T>(dataPath: string | undefined, build: () => T): T {
  try {
    return build();
  } catch (e) {
    if (e instanceof UserError && dataPath !== undefined) throw new UserError(`${dataPath}: ${e.message}`, e.exitCode);
    throw e;
  }
}

type TrainArgs = Awaited<ReturnType<ReturnType<typeof trainBuilder>['parseAsync']>>;

export async function runTrain(a: TrainArgs): Promise<void> {
  validateSeed(a.rng, a.seed, a.epochs);
  if (a.save !== undefined) {
    if (!a.save.endsWith('.npz')) throw new UserError(`--save ${a.save}: the file name must end in .npz`);
    checkWritableFile(a.save, '--save');
  }
  const dataset = await loadData(a);
  if (dataset.train.count === 0) throw new UserError('--train-count 0 leaves no training images');
  const trainer = withDataSource(a.data, () => new Trainer(dataset, {
    model: modelOptionsFrom(a),
    dtype: a.dtype,
    epochs: a.epochs,
    batchSize: a.batchSize,
    dropLast: a.dropLast,
    threads: a.threads,
    adam: { lr: a.lr, beta1: a.beta1, beta2: a.beta2, eps: a.eps },
    rng: a.rng,
    seed: a.seed,
  }));
  const out = (line: string) => process.stdout.write(line + '\n');
  const progress = new EpochProgress();
  try {
    if (!a.json) {
      const { train, test } = dataset;
      out(
        `shardtrain: ${dataset.source}, ${train.count} train / ${test.count} test ${train.height}x${train.width} images, ` +
          `${dataset.classes} classes; ${trainer.layout.total} parameters, ${a.dtype}, ${a.threads} thread(s), TypeScript kernels`,
      );
    }
    const reports = await trainer.run({
      onBatch: (p) => progress.update(p),
      onEpoch: (r) => {
        progress.clear();
        out(a.json ? epochJson(r) : formatEpochLine(r));
      },
    });
    if (a.save !== undefined) await saveWeights(a.save, trainer.params, trainer.layout, trainer.config);
    if (!a.json) {
      const last = reports[reports.length - 1].test;
      out(`test accuracy ${last.correct}/${last.total} (${percent(last.correct, last.total)})`);
      if (a.save !== undefined) out(`weights saved to ${a.save}`);
    }
  } finally {
    progress.clear();
    await trainer.close();
  }
}
