import type { Argv } from 'yargs';
import { imageShapeText } from '../data/dataset.js';
import { evaluateOnPool } from '../eval/evaluate-on-pool.js';
import { readSavedNetwork } from '../io/saved-network.js';
import { modelShape } from '../model/model.js';
import { defaultThreadCount } from '../parallel/coordinator.js';
import { resolveKernels } from '../kernels/index.js';
import { UserError } from '../util/errors.js';
import { dataSelectionFrom, loadTestData, printWarnings, withDataOptions } from './data-options.js';
import { evalJson, formatEvalTable } from './eval-report.js';
import { requireFlagValues } from './flag-values.js';
import { positiveInt } from './parse-values.js';
import { flagOf } from './setting-flags.js';
import { weightsOptionsFrom, withWeightsOptions } from './weights-options.js';
import { KERNELS_FLAG } from './kernels-flag.js';
import { TIMEOUT_FLAG } from './timeout-flag.js';

export function evalBuilder<T>(y: Argv<T>) {
  const evaluating = withWeightsOptions(y)
    .option('threads', { type: 'number', default: defaultThreadCount(), describe: "worker threads in the pool (default: this machine's available parallelism)", coerce: positiveInt('threads', 1024) })
    .option('kernels', { ...KERNELS_FLAG, default: 'auto' as const })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout and nothing else there' })
    .option('timeout', TIMEOUT_FLAG)
    .group(['threads', 'kernels', 'json', 'timeout'], 'Evaluation:');
  return requireFlagValues(withDataOptions(evaluating).hide('train-count').hide('train-images-key').hide('train-labels-key'));
}

/** Only the test split is read, so the flags that pick training images would do nothing here. */
const TRAINING_DATA_SETTINGS = ['trainCount', 'trainImagesKey', 'trainLabelsKey'] as const;

type EvalArgs = Awaited<ReturnType<ReturnType<typeof evalBuilder>['parseAsync']>>;

/** Test loss, accuracy, per-class accuracy and the confusion matrix of saved weights, of the seed network or any layer stack. */
export async function runEval(a: EvalArgs): Promise<void> {
  // Hidden from the help but shared with train: refused rather than silently ignored.
  const idle = TRAINING_DATA_SETTINGS.find((setting) => a[setting] !== undefined);
  if (idle !== undefined) throw new UserError(`${flagOf(idle)} does nothing in eval, which reads only the test images; leave it out`);
  // The weights first: a bad file is refused before any data is read.
  const weights = await readSavedNetwork(a.weights, weightsOptionsFrom(a));
  const dataset = await loadTestData(dataSelectionFrom(a));
  const { test } = dataset;
  if (test.count === 0) throw new UserError('--test-count 0 leaves no test images to evaluate');
  if (test.channels !== weights.channels) {
    const takes = weights.channels === 1 ? '1 (gray images)' : String(weights.channels);
    throw new UserError(`${dataset.source}: the images have ${test.channels} channel${test.channels === 1 ? '' : 's'} (${imageShapeText(test)}), and the weights' network takes ${takes}`);
  }
  const model = weights.modelFor(test.height, test.width, `the test images of ${dataset.source}`);
  const unknown = test.labels.findIndex((label) => label >= weights.classes);
  if (unknown >= 0) {
    throw new UserError(
      `${weights.path}: the weights classify ${weights.classes} classes (0..${weights.classes - 1}), but test label ${unknown} of ${dataset.source} is ${test.labels[unknown]}`,
    );
  }
  const { total } = modelShape(model);
  if (total !== weights.params.length) throw new Error(`layout of ${total} parameters for ${weights.params.length} loaded`);
  const kernels = resolveKernels(a.kernels, weights.dtype);
  const result = await evaluateOnPool(model, weights.dtype, weights.params, test, a.threads, kernels, a.timeout * 1000);
  if (result.firstNonFinite >= 0) {
    throw new UserError(
      `${weights.path}: the loss of test image ${result.firstNonFinite} of ${dataset.source} is not finite: the network's outputs overflow ${weights.dtype}; ` +
        (a.pixelDivisor === undefined ? 'the weights are too large for these images' : `the weights, or the images divided by --pixel-divisor ${a.pixelDivisor}, are too large`),
    );
  }
  // Only now: a refusal, even one the evaluation finds, stays one line.
  printWarnings(dataset);
  const subject = { weights, model, images: test, parameters: total, data: dataset.source, threads: a.threads };
  process.stdout.write((a.json ? evalJson(subject, result) : formatEvalTable(subject, result)) + '\n');
}
