import type { Dataset } from '../data/dataset.js';
import { floatArrayFor } from '../model/float-array.js';
import type { TrainOptions } from '../train/trainer.js';
import { describeMachine, type MachineInfo } from './machine.js';
import { median, pairedRatio } from '../util/median.js';
import { ThroughputContender, type ThroughputRun } from './measure-throughput.js';
import type { PrivacySettings } from '../privacy/privacy-settings.js';
import { checkBenchThreads } from '../parallel/run-memory.js';
import { coresFor, pinSelf } from './pin-cores.js';

export interface BenchOptions {
  readonly threadCounts: readonly number[];
  readonly steps: number;
  readonly warmup: number;
  readonly repeat: number;
  /** Empty tasks timed per thread count to measure piscina's own overhead. */
  readonly emptyTasks: number;
  /** Also time private training with these settings, alternating with ordinary training (bench --dp). */
  readonly privacy?: PrivacySettings;
  /** Also time the bare kernel on the trainer's threads (bare-kernel.ts), after each trainer run. */
  readonly bareKernel?: boolean;
  /** Run each thread count t on the first t cores, main thread included (pin-cores.ts), where taskset can. */
  readonly pin?: boolean;
}

/** Mean milliseconds per step, split by where the time went. */
export interface StepBreakdown {
  /** The slowest thread's computation: the step's critical path inside the workers. */
  readonly computeMs: number;
  /** How long the fastest thread waited for the slowest. */
  readonly waitMs: number;
  /** Dispatch to last result, minus the slowest computation: messaging and wake-ups. */
  readonly dispatchMs: number;
  readonly reduceMs: number;
  readonly updateMs: number;
  /** Round trip of one empty task on every thread (piscina's own cost per job). */
  readonly emptyTaskMs: number;
}

export interface ThreadResult {
  readonly threads: number;
  readonly oversubscribed: boolean;
  readonly samplesPerSec: { readonly median: number; readonly min: number; readonly max: number; readonly runs: readonly number[] };
  /**
   * Over the fewest threads measured (results[0]): the median of each repeat's ratio to that
   * repeat's run on the fewest threads (util/median.ts's pairedRatio); and efficiency per thread
   * added beyond those.
   */
  readonly speedup: number;
  readonly efficiency: number;
  /** 2 FLOPs per multiply-add of the model's dense count, per second. */
  readonly gflops: number;
  readonly perStep: StepBreakdown;
  /** Who summed the slots at this thread count (CoordinatorOptions.summing). */
  readonly summedBy: 'main' | 'pool';
  /** The cores its runs were pinned to (comma-separated), or null when the system placed the threads. */
  readonly cores: string | null;
  /**
   * The bare kernel on the same threads: its samples/s (the median of `runs`, one a repeat), its
   * own speedup over the fewest threads (paired by repeat, as the trainer's), and the trainer's
   * speedup as a share of that (1: the trainer loses nothing to coordination).
   */
  readonly bareKernel?: { readonly samplesPerSec: number; readonly runs: readonly number[]; readonly speedup: number; readonly share: number };
  /** bench --dp: private training's samples/s, and the median of each repeat's private run over its ordinary one. */
  readonly private?: { readonly samplesPerSec: { readonly median: number; readonly min: number; readonly max: number; readonly runs: readonly number[] }; readonly ratio: number };
}

export interface BenchResult {
  readonly machine: MachineInfo;
  /** Where the images came from, and how many training images the runs drew from. */
  readonly data: { readonly source: string; readonly trainImages: number };
  readonly seed: number;
  readonly kernels: string;
  readonly model: string;
  readonly dtype: string;
  readonly batchSize: number;
  readonly steps: number;
  readonly warmup: number;
  readonly repeat: number;
  readonly emptyTasks: number;
  readonly parameters: number;
  readonly multiplyAddsPerSample: number;
  /** Bytes of the per-sample gradient slots (batch x values per slot). */
  readonly gradientSlotBytes: number;
  readonly results: readonly ThreadResult[];
  /** bench --grad-stats: B_simple, the median over the runs whose timed steps gave one. */
  readonly noiseScale?: number;
}

/** A trainer started and warmed up (they all start before the first timed run), or a timed run done. */
export type BenchProgress =
  | { readonly kind: 'started'; readonly threads: number; readonly started: number; readonly trainers: number }
  | { readonly kind: 'ran'; readonly done: number; readonly total: number; readonly threads: number; readonly repeat: number; readonly samplesPerSec: number };

/**
 * Steady-state training throughput for each thread count. Each thread count (and, with privacy,
 * its private twin) keeps one warmed trainer for the whole bench, and repeats go round all of them
 * before the next repeat (alternating direction): neighbouring runs are seconds apart rather than
 * a trainer's start-up, so the swings of a noisy machine hit every count alike instead of one.
 */
export async function runBench(
  dataset: Dataset,
  train: Omit<TrainOptions, 'threads' | 'epochs'>,
  options: BenchOptions,
  onProgress: (p: BenchProgress) => void = () => undefined,
): Promise<BenchResult> {
  // Ascending, so that the speedup is over the fewest threads, whatever order they were listed in.
  const threadCounts = [...options.threadCounts].sort((x, y) => x - y);
  const runs = new Map<number, ThroughputRun[]>(threadCounts.map((t) => [t, []]));
  const privateRuns = new Map<number, number[]>(threadCounts.map((t) => [t, []]));
  const total = threadCounts.length * options.repeat * (options.privacy === undefined ? 1 : 2);
  let done = 0;
  const trainers = threadCounts.length * (options.privacy === undefined ? 1 : 2);
  let started = 0;
  let info: Pick<ThroughputRun, 'parameters' | 'slotValues' | 'multiplyAddsPerSample' | 'kernels' | 'model'> | null = null;
  const bare = options.bareKernel === true;
  const contenders = new Map<number, { ordinary: ThroughputContender; private: ThroughputContender | null }>();
  checkBenchThreads(threadCounts, options.privacy === undefined ? 1 : 2);
  const coresOf = (threads: number) => (options.pin === true ? coresFor(threads) : null);
  // Started pinned too: a trainer decides at its start whether its main thread has a core of its own.
  const pinnedTo = async <T>(threads: number, work: () => Promise<T>): Promise<T> => {
    const cores = coresOf(threads);
    if (cores === null) return work();
    pinSelf(cores);
    try {
      return await work();
    } finally {
      pinSelf(null);
    }
  };
  try {
    for (const threads of threadCounts) {
      const ordinary = await pinnedTo(threads, () => ThroughputContender.start(dataset, { ...train, threads, epochs: 1 }, options.warmup));
      const entry = { ordinary, private: null as ThroughputContender | null };
      contenders.set(threads, entry);
      onProgress({ kind: 'started', threads, started: ++started, trainers });
      if (options.privacy === undefined) continue;
      const privateOptions = { ...train, gradientStats: false, privacy: options.privacy, threads, epochs: 1 };
      entry.private = await pinnedTo(threads, () => ThroughputContender.start(dataset, privateOptions, options.warmup));
      onProgress({ kind: 'started', threads, started: ++started, trainers });
    }
    for (let r = 0; r < options.repeat; r++) {
      const order = r % 2 === 0 ? threadCounts : [...threadCounts].reverse();
      for (const threads of order) {
        const contender = contenders.get(threads)!;
        const run = await pinnedTo(threads, () => contender.ordinary.run(options.steps, options.emptyTasks, bare));
        info = run;
        runs.get(threads)!.push(run);
        onProgress({ kind: 'ran', done: ++done, total, threads, repeat: r + 1, samplesPerSec: run.samplesPerSec });
        if (contender.private === null) continue;
        const privateRun = await pinnedTo(threads, () => contender.private!.run(options.steps));
        privateRuns.get(threads)!.push(privateRun.samplesPerSec);
        onProgress({ kind: 'ran', done: ++done, total, threads, repeat: r + 1, samplesPerSec: privateRun.samplesPerSec });
      }
    }
  } finally {
    for (const c of contenders.values()) {
      await c.ordinary.close();
      await c.private?.close();
    }
  }
  const machine = describeMachine();
  const baseThreads = threadCounts[0];
  const baseRates = runs.get(baseThreads)!.map((x) => x.samplesPerSec);
  const baseBareRates = runs.get(baseThreads)!.map((x) => x.bareKernelSamplesPerSec);
  const results = threadCounts.map((threads): ThreadResult => {
    const list = runs.get(threads)!;
    const rates = list.map((x) => x.samplesPerSec);
    const m = median(rates);
    const speedup = pairedRatio(rates, baseRates);
    const privateRates = privateRuns.get(threads)!;
    const bareRates = list.map((x) => x.bareKernelSamplesPerSec);
    const bareSpeedup = pairedRatio(bareRates, baseBareRates);
    const privateMedian = median(privateRates);
    return {
      threads,
      oversubscribed: threads > machine.availableParallelism,
      samplesPerSec: { median: m, min: Math.min(...rates), max: Math.max(...rates), runs: rates },
      speedup,
      efficiency: speedup / (threads / baseThreads),
      gflops: (m * info!.multiplyAddsPerSample * 2) / 1e9,
      perStep: breakdown(list),
      summedBy: list[0].summedBy,
      cores: coresOf(threads),
      ...(!bare ? {} : { bareKernel: { samplesPerSec: median(bareRates), runs: bareRates, speedup: bareSpeedup, share: speedup / bareSpeedup } }),
      ...(options.privacy === undefined
        ? {}
        : { private: { samplesPerSec: { median: privateMedian, min: Math.min(...privateRates), max: Math.max(...privateRates), runs: privateRates }, ratio: pairedRatio(privateRates, rates) } }),
    };
  });
  return {
    machine,
    data: { source: dataset.source, trainImages: dataset.train.count },
    seed: train.seed,
    kernels: info!.kernels,
    model: info!.model,
    dtype: train.dtype,
    batchSize: train.batchSize,
    steps: options.steps,
    warmup: options.warmup,
    repeat: options.repeat,
    emptyTasks: options.emptyTasks,
    parameters: info!.parameters,
    multiplyAddsPerSample: info!.multiplyAddsPerSample,
    gradientSlotBytes: train.batchSize * info!.slotValues * floatArrayFor(train.dtype).BYTES_PER_ELEMENT,
    results,
    // A run without an estimate (NaN) has no place in the order a median needs.
    ...(train.gradientStats ? { noiseScale: median([...runs.values()].flat().map((x) => x.noiseScale).filter(Number.isFinite)) } : {}),
  };
}

/** Means over every timed step of every repeat. */
function breakdown(list: readonly ThroughputRun[]): StepBreakdown {
  const steps = list.reduce((n, x) => n + x.timing.steps, 0);
  const sum = (f: (x: ThroughputRun) => number) => list.reduce((acc, x) => acc + f(x), 0) / steps;
  return {
    computeMs: sum((x) => x.timing.computeMs),
    waitMs: sum((x) => x.timing.waitMs),
    dispatchMs: sum((x) => x.timing.dispatchMs),
    reduceMs: sum((x) => x.timing.reduceMs),
    updateMs: sum((x) => x.timing.updateMs),
    emptyTaskMs: list.reduce((acc, x) => acc + x.emptyTaskMs, 0) / list.length,
  };
}
