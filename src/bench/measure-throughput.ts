import type { Dataset } from '../data/dataset.js';
import { UserError } from '../util/errors.js';
import { TimingTotals } from '../train/step-timing.js';
import { describeModelLayers } from '../model/model.js';
import { Trainer, type TrainOptions } from '../train/trainer.js';

export interface ThroughputRun {
  readonly threads: number;
  readonly samplesPerSec: number;
  readonly timing: TimingTotals;
  /** Mean round trip of an empty task on every thread. */
  readonly emptyTaskMs: number;
  readonly parameters: number;
  /** Values per gradient slot (model/slot-layout.ts). */
  readonly slotValues: number;
  readonly multiplyAddsPerSample: number;
  readonly kernels: string;
  /** The network, in the compact form. */
  readonly model: string;
  /** With gradientStats: B_simple over the timed steps. */
  readonly noiseScale: number;
  /** Who summed each step's slots: the main thread during the computation, or the pool threads after it. */
  readonly summedBy: 'main' | 'pool';
  /** The bare kernel's samples/s on the trainer's threads after the timed steps (NaN when not asked for). */
  readonly bareKernelSamplesPerSec: number;
}

/** A trainer ready to be timed; the caller closes it. */
export interface WarmTrainer {
  readonly trainer: Trainer;
  /**
   * The next `count` steps of epoch 0 (full batches, or a private run's Poisson draws), going round
   * it as often as asked, as run() takes them (several at once where the pool applies the updates).
   */
  steps(count: number, totals?: TimingTotals): Promise<void>;
}

/**
 * A fresh trainer on epoch 0's order, its pool started and its workers warmed by `warmupSteps`
 * real steps, so that the JIT has settled before anything is timed.
 */
export async function warmTrainer(dataset: Dataset, options: TrainOptions, warmupSteps: number): Promise<WarmTrainer> {
  const trainer = await Trainer.create(dataset, options);
  try {
    trainer.setEpochOrder(0);
    if (trainer.stepsPerEpoch === 0) throw new UserError(`fewer training images (${dataset.train.count}) than one batch (${options.batchSize})`);
    let next = 0;
    const steps = async (count: number, totals?: TimingTotals) => {
      for (let done = 0; done < count; ) {
        const index = next % trainer.stepsPerEpoch;
        const applied = await trainer.stepsOfEpoch(index, Math.min(count - done, trainer.stepsPerEpoch - index), totals);
        done += applied;
        next += applied;
      }
    };
    await steps(warmupSteps);
    return { trainer, steps };
  } catch (e) {
    await trainer.close();
    throw e;
  }
}

/**
 * A warmed trainer (warmTrainer) that the bench times run after run, so that runs at different
 * thread counts can alternate quickly on trainers that stay up: each run continues the same
 * training (all of them from the same seed, so at the same repeat every thread count's trainer
 * holds the same weights), and between runs the trainer's threads sleep. Evaluation and start-up
 * are outside the timed part. With `bareKernel`, the trainer's threads then run the bare kernel
 * (src/bench/bare-kernel.ts) about as long as the timed steps took, within 0.2-2 s, with the
 * weights they ended with.
 */
export class ThroughputContender {
  /** Whether a run has ended the step session: the next run's first step, untimed, starts a new one. */
  private rested = false;

  private constructor(
    private readonly warm: WarmTrainer,
    private readonly threads: number,
  ) {}

  /** The trainer being timed (its weights and step count, for tests). */
  get trainer(): Trainer {
    return this.warm.trainer;
  }

  static async start(dataset: Dataset, options: TrainOptions, warmupSteps: number): Promise<ThroughputContender> {
    return new ThroughputContender(await warmTrainer(dataset, options, warmupSteps), options.threads);
  }

  /** `steps` timed steps of full batches, then the extras asked for; the threads sleep afterwards. */
  async run(steps: number, emptyTasks = 0, bareKernel = false): Promise<ThroughputRun> {
    const { trainer, steps: runSteps } = this.warm;
    if (this.rested) await runSteps(1);
    trainer.takeNoiseScale();
    const timing = new TimingTotals();
    const started = performance.now();
    await runSteps(steps, timing);
    const seconds = (performance.now() - started) / 1000;
    const bareKernelSamplesPerSec = bareKernel ? await trainer.bareKernel(Math.min(2000, Math.max(200, seconds * 1000))) : NaN;
    const noiseScale = trainer.takeNoiseScale()?.simple ?? NaN;
    let emptyMs = 0;
    for (let t = 0; t < emptyTasks; t++) emptyMs += (await trainer.emptyTasks()).wallMs;
    await trainer.endSession();
    this.rested = true;
    return {
      threads: this.threads,
      samplesPerSec: timing.samples / seconds,
      timing,
      emptyTaskMs: emptyTasks > 0 ? emptyMs / emptyTasks : NaN,
      parameters: trainer.shape.total,
      slotValues: trainer.shape.slots.length,
      multiplyAddsPerSample: trainer.shape.multiplyAddsPerSample,
      kernels: trainer.kernelName,
      model: describeModelLayers(trainer.model),
      noiseScale,
      summedBy: trainer.poolSums ? 'pool' : 'main',
      bareKernelSamplesPerSec,
    };
  }

  close(): Promise<void> {
    return this.warm.trainer.close();
  }
}

/** Steady-state training throughput of one run on a fresh trainer (ThroughputContender), closed after it. */
export async function measureThroughput(
  dataset: Dataset,
  options: TrainOptions,
  warmupSteps: number,
  steps: number,
  emptyTasks = 0,
  bareKernel = false,
): Promise<ThroughputRun> {
  const contender = await ThroughputContender.start(dataset, options, warmupSteps);
  try {
    return await contender.run(steps, emptyTasks, bareKernel);
  } finally {
    await contender.close();
  }
}
