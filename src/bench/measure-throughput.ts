import type { Dataset } from '../data/dataset.js';
import { type StepTiming, TimingTotals } from '../train/step-timing.js';
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
  /** The next step of epoch 0 (a full batch, or a private run's Poisson draw), going round it as often as asked. */
  step(totals?: TimingTotals): Promise<StepTiming>;
}

/**
 * A fresh trainer on epoch 0's order, its pool started and its workers warmed by `warmupSteps`
 * real steps, so that the JIT has settled before anything is timed.
 */
export async function warmTrainer(dataset: Dataset, options: TrainOptions, warmupSteps: number): Promise<WarmTrainer> {
  const trainer = await Trainer.create(dataset, options);
  try {
    trainer.setEpochOrder(0);
    if (trainer.stepsPerEpoch === 0) throw new Error(`fewer training images (${dataset.train.count}) than one batch (${options.batchSize})`);
    let next = 0;
    const warm: WarmTrainer = { trainer, step: (totals) => trainer.stepOfEpoch(next++ % trainer.stepsPerEpoch, totals) };
    for (let s = 0; s < warmupSteps; s++) await warm.step();
    return warm;
  } catch (e) {
    await trainer.close();
    throw e;
  }
}

/**
 * Steady-state training throughput: a warmed trainer (warmTrainer), then `steps` timed steps of
 * full batches. Evaluation and start-up are outside the timed part. With `bareKernel`, the
 * trainer's threads then run the bare kernel (src/bench/bare-kernel.ts) about as long as the
 * timed steps took, within 0.2-2 s, with the weights they ended with.
 */
export async function measureThroughput(
  dataset: Dataset,
  options: TrainOptions,
  warmupSteps: number,
  steps: number,
  emptyTasks = 0,
  bareKernel = false,
): Promise<ThroughputRun> {
  const { trainer, step } = await warmTrainer(dataset, options, warmupSteps);
  try {
    trainer.takeNoiseScale();
    const timing = new TimingTotals();
    const started = performance.now();
    for (let s = 0; s < steps; s++) await step(timing);
    const seconds = (performance.now() - started) / 1000;
    const bareKernelSamplesPerSec = bareKernel ? await trainer.bareKernel(Math.min(2000, Math.max(200, seconds * 1000))) : NaN;
    const noiseScale = trainer.takeNoiseScale()?.simple ?? NaN;
    let emptyMs = 0;
    for (let t = 0; t < emptyTasks; t++) emptyMs += (await trainer.emptyTasks()).wallMs;
    return {
      threads: options.threads,
      samplesPerSec: timing.samples / seconds,
      timing,
      emptyTaskMs: emptyTasks > 0 ? emptyMs / emptyTasks : NaN,
      parameters: trainer.layout.total,
      slotValues: trainer.layout.slots.length,
      multiplyAddsPerSample: trainer.layout.multiplyAddsPerSample,
      kernels: trainer.kernelName,
      model: describeModelLayers(trainer.model),
      noiseScale,
      summedBy: trainer.poolSums ? 'pool' : 'main',
      bareKernelSamplesPerSec,
    };
  } finally {
    await trainer.close();
  }
}
