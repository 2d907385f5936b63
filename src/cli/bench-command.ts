import type { SingleBar } from 'cli-progress';
import type { Argv } from 'yargs';
import { writeBenchPlot } from '../bench/bench-plot.js';
import { formatBenchTable } from '../bench/bench-table.js';
import { defaultThreadCounts } from '../bench/machine.js';
import { canPin } from '../bench/pin-cores.js';
import { type BenchProgress, runBench } from '../bench/run-bench.js';
import { checkWritableFile } from '../io/output-path.js';
import { UserError } from '../util/errors.js';
import { loadData, printWarnings, withDataOptions } from './data-options.js';
import { requireFlagValues } from './flag-values.js';
import { withModelOptions } from './model-options.js';
import { nonNegativeInt, positiveInt } from './parse-values.js';
import { settingsFromFlags } from './train-settings.js';
import { KERNELS_FLAG } from './kernels-flag.js';
import { TIMEOUT_FLAG } from './timeout-flag.js';
import { newProgressBar } from './progress.js';
import { modelForData, withModelChoice } from './model-choice.js';
import { DEFAULT_TRAIN_OPTIONS, PRIVATE_TRAIN_DEFAULTS } from '../train/defaults.js';
import type { PrivacySettings } from '../privacy/privacy-settings.js';

/** What bench --dp times: the work of a private step does not depend on these values. */
const BENCH_PRIVACY: PrivacySettings = { ...PRIVATE_TRAIN_DEFAULTS.privacy, noise: 1 };

function threadList(v: string | number): number[] {
  const parts = String(v).split(',').map((p) => p.trim());
  const counts = parts.map(Number);
  if (parts.some((p) => !/^\d+$/.test(p)) || counts.some((t) => t < 1 || t > 1024)) {
    throw new UserError(`--threads must be a comma-separated list of thread counts from 1 to 1024, like 1,2,4, got '${v}'`);
  }
  if (new Set(counts).size !== counts.length) throw new UserError(`--threads lists a thread count twice: '${v}'`);
  return counts;
}

export function benchBuilder<T>(y: Argv<T>) {
  const bench = y
    .option('threads', { type: 'string', defaultDescription: defaultThreadCounts().join(','), describe: 'thread counts to measure, comma-separated (default: powers of two up to twice the available parallelism)', coerce: threadList })
    .option('batch-size', { type: 'number', default: DEFAULT_TRAIN_OPTIONS.batchSize, describe: 'samples per step', coerce: positiveInt('batch-size', 1_000_000) })
    .option('steps', { type: 'number', default: 50, describe: 'timed steps per run', coerce: positiveInt('steps', 1_000_000) })
    // At least one: a first timed step would carry the pool's start (tens of ms) into the speedups.
    .option('warmup', { type: 'number', default: 200, describe: 'untimed steps first, until the threads run at their steady pace (at least 1)', coerce: positiveInt('warmup', 1_000_000) })
    .option('repeat', { type: 'number', default: 3, describe: 'runs per thread count (median, min and max are reported)', coerce: positiveInt('repeat', 1000) })
    .option('empty-tasks', { type: 'number', default: 100, describe: "empty tasks timed per run to measure piscina's own overhead", coerce: nonNegativeInt('empty-tasks', 1_000_000) })
    .option('dtype', { choices: ['float32', 'float64'] as const, default: DEFAULT_TRAIN_OPTIONS.dtype, defaultDescription: DEFAULT_TRAIN_OPTIONS.dtype, describe: 'precision' })
    .option('kernels', { ...KERNELS_FLAG, default: 'auto' as const })
    .option('seed', { type: 'number', default: DEFAULT_TRAIN_OPTIONS.seed, describe: 'seed of the initial weights and the sample order', coerce: nonNegativeInt('seed', 2 ** 32 - 1) })
    .option('json', { type: 'boolean', default: false, describe: 'print the result as one JSON object on stdout' })
    .option('plot', { type: 'string', describe: 'also draw samples/s and speedup against threads into FILE.svg' })
    .option('dp', { type: 'boolean', default: false, describe: `also time private training (DP-SGD: clip ${BENCH_PRIVACY.clip}, noise ${BENCH_PRIVACY.noise}, Poisson sampling at the batch size) alternately with ordinary training, and give the ratio` })
    .option('grad-stats', { type: 'boolean', default: false, describe: "also estimate the gradient noise scale B_simple over the timed steps (each thread then measures every sample gradient's norm, and the main thread applies every update: time ordinary training without it)" })
    .option('summing', { choices: ['auto', 'main', 'pool'] as const, default: 'auto' as const, defaultDescription: 'auto', describe: 'who sums the per-sample slots: the main thread as they complete, the pool threads once all are, or auto (the main thread while it has a core of its own)' })
    .option('bare-kernel', { type: 'boolean', default: true, describe: "after each trainer run, time the bare per-sample kernel on the trainer's threads with nothing shared, and give the trainer's speedup as a share of the bare kernel's (--no-bare-kernel to skip)" })
    .option('pin', { type: 'boolean', default: true, describe: 'run t threads on the first t cores, the main thread included (taskset), so that a thread count is a core count (--no-pin: the system places them)' })
    .option('timeout', TIMEOUT_FLAG)
    .group(['threads', 'batch-size', 'steps', 'warmup', 'repeat', 'empty-tasks', 'dtype', 'kernels', 'seed', 'json', 'plot', 'dp', 'grad-stats', 'summing', 'bare-kernel', 'pin', 'timeout'], 'Bench:');
  return requireFlagValues(withDataOptions(withModelOptions(withModelChoice(bench))));
}

type BenchArgs = Awaited<ReturnType<ReturnType<typeof benchBuilder>['parseAsync']>>;

export async function runBenchCommand(a: BenchArgs): Promise<void> {
  if (a.plot !== undefined) {
    if (!a.plot.endsWith('.svg')) throw new UserError(`--plot ${a.plot}: the file name must end in .svg`);
    checkWritableFile(a.plot, '--plot');
  }
  // --dp here adds private runs beside the ordinary ones: both train with the ordinary optimizer
  // (private training's SGD at lr 4 diverges without clipping, and a diverged network's zeros make
  // the kernels fast, which would flatter the ordinary runs).
  const settings = settingsFromFlags({ ...a, dp: undefined });
  const dataset = await loadData(settings.data);
  modelForData(settings.model, dataset, a.model === undefined ? undefined : `--model ${a.model}`);
  if (dataset.train.count < a.batchSize) {
    throw new UserError(`--batch-size ${a.batchSize}: the data has only ${dataset.train.count} training images`);
  }
  printWarnings(dataset);
  if (a.pin && !canPin()) process.stderr.write('shardtrain: warning: pinning threads to cores needs taskset (util-linux), which is not here: the system places them (--no-pin says so without this warning)\n');
  const threadCounts = a.threads ?? defaultThreadCounts();
  const progress = new BenchProgressView(threadCounts.length * a.repeat * (a.dp ? 2 : 1));
  let result;
  try {
    result = await runBench(
      dataset,
      { model: settings.model, dtype: a.dtype, kernels: settings.kernels, batchSize: a.batchSize, dropLast: true, optimizer: settings.optimizer, rng: DEFAULT_TRAIN_OPTIONS.rng, seed: a.seed, gradientStats: a.gradStats, pool: { summing: a.summing, timeoutMs: a.timeout * 1000 } },
      { threadCounts, steps: a.steps, warmup: a.warmup, repeat: a.repeat, emptyTasks: a.emptyTasks, bareKernel: a.bareKernel, pin: a.pin, ...(a.dp ? { privacy: BENCH_PRIVACY } : {}) },
      (p) => progress.update(p),
    );
  } finally {
    progress.stop();
  }
  if (a.plot !== undefined) await writeBenchPlot(a.plot, result);
  process.stdout.write(a.json ? `${JSON.stringify(result)}\n` : `${formatBenchTable(result)}\n`);
  if (a.plot !== undefined && !a.json) process.stdout.write(`plot written to ${a.plot}\n`);
}

/** A bar on a terminal; otherwise one stderr line per run, so that logs show progress too. */
class BenchProgressView {
  private readonly bar: SingleBar | null;

  constructor(total: number) {
    this.bar = process.stderr.isTTY
      ? newProgressBar({ stream: process.stderr, format: 'bench [{bar}] {value}/{total} runs | {last}', clearOnComplete: true })
      : null;
    this.bar?.start(total, 0, { last: 'starting the trainers' });
  }

  update(p: BenchProgress): void {
    if (p.kind === 'started') {
      // Starting and warming up every trainer comes first, and with many threads takes a while.
      if (this.bar) this.bar.update(0, { last: `trainer ${p.started}/${p.trainers} started: ${p.threads} thread(s)` });
      else process.stderr.write(`bench: trainer ${p.started}/${p.trainers} started: ${p.threads} thread(s), warmed up\n`);
      return;
    }
    const rate = Math.round(p.samplesPerSec);
    if (this.bar) this.bar.update(p.done, { last: `last: ${p.threads} thread(s), ${rate} samples/s` });
    else process.stderr.write(`bench: run ${p.done}/${p.total}: ${p.threads} thread(s), repeat ${p.repeat}: ${rate} samples/s\n`);
  }

  stop(): void {
    this.bar?.stop();
  }
}
