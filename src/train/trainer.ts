import type { Dataset } from '../data/dataset.js';
import { type Backend, createBackend, type KernelChoice } from '../kernels/index.js';
import type { Dtype, FloatArray } from '../model/float-array.js';
import { checkSlotMemory } from '../model/stack/index.js';
import { buildModel, initModel, type Model, type ModelChoice, modelShape, type ModelShape } from '../model/model.js';
import type { AdamOptions } from '../optim/adam.js';
import type { SlotSum } from '../optim/average-slots.js';
import type { Optimizer } from '../optim/optimizer.js';
import { Coordinator, type CoordinatorOptions } from '../parallel/coordinator.js';
import { createSharedState, type SharedState } from '../parallel/shared-state.js';
import type { JobTiming } from '../parallel/tasks.js';
import { createRandomStreams, type RandomStreams, type RngKind } from '../rng/streams.js';
import { type Batch, epochBatches } from './batches.js';
import type { Checkpoint, TrainingPosition } from './checkpoint.js';
import { allFinite, NumericalFault } from './numerical-fault.js';
import { stepTiming, TimingTotals, type StepTiming } from './step-timing.js';

export interface TrainOptions {
  readonly model: ModelChoice;
  readonly dtype: Dtype;
  readonly epochs: number;
  readonly batchSize: number;
  readonly dropLast: boolean;
  readonly threads: number;
  readonly adam: AdamOptions;
  readonly rng: RngKind;
  readonly seed: number;
  /** Fault handling of the pool (watchdog); defaults suit real runs. */
  readonly pool?: Partial<CoordinatorOptions>;
  /** Default 'typescript'. */
  readonly kernels?: KernelChoice;
}

export interface Evaluation {
  readonly loss: number;
  readonly correct: number;
  readonly total: number;
}

export interface EpochReport {
  /** Counting from 1. */
  readonly epoch: number;
  readonly epochs: number;
  readonly trainLoss: number;
  readonly test: Evaluation;
  readonly samples: number;
  readonly steps: number;
  /** Training samples per second of wall time (evaluation excluded). */
  readonly samplesPerSec: number;
  readonly seconds: number;
  /** Where the training steps' time went. */
  readonly timing: TimingTotals;
}

export interface BatchProgress {
  readonly epoch: number;
  readonly samplesDone: number;
  readonly samplesTotal: number;
  readonly samplesPerSec: number;
}

export interface TrainListener {
  onBatch?(progress: BatchProgress): void;
  onEpoch?(report: EpochReport): void | Promise<void>;
  /** After every step that completed; a checkpoint policy hooks in here. */
  onStep?(trainer: Trainer): void | Promise<void>;
}

export interface RunResult {
  readonly reports: EpochReport[];
  /** True when requestStop() ended the run before its last epoch. */
  readonly interrupted: boolean;
}

/**
 * What the batch's gradient slots may take. Beyond it the wasm memory (4 GiB in all) or a machine
 * like the ones this runs on would not hold them with the rest; say so before allocating.
 */
const SLOT_MEMORY_LIMIT_BYTES = 2 ** 31;

/**
 * Mini-batch Adam, data-parallel: for each batch the pool writes one gradient per sample into its
 * slot while this thread sums the completed slots in sample order; once all are in, it divides
 * and applies Adam to the shared parameters before the next batch is dispatched.
 */
export class Trainer {
  /** The network for this data, and its parameters' names, offsets and count. */
  readonly model: Model;
  readonly layout: ModelShape;
  readonly adam: Optimizer;
  readonly streams: RandomStreams;
  private readonly state: SharedState;
  /** Sums the batch's slots on this thread as the pool completes them. */
  private readonly slotSum: SlotSum;
  private readonly coordinator: Coordinator;
  private readonly meanGrad: FloatArray;
  private positionNow: TrainingPosition = { epoch: 0, batch: 0, epochLossSum: 0, epochSamples: 0 };
  private stopRequested = false;

  /** Makes the kernel backend the options ask for, then the trainer. */
  static async create(dataset: Dataset, options: TrainOptions): Promise<Trainer> {
    return new Trainer(dataset, options, await createBackend(options.kernels ?? 'typescript', options.dtype));
  }

  private constructor(
    readonly dataset: Dataset,
    readonly options: TrainOptions,
    private readonly backend: Backend,
  ) {
    this.model = buildModel(options.model, { input: [dataset.train.channels, dataset.train.height, dataset.train.width], classes: dataset.classes });
    this.layout = modelShape(this.model);
    const batchSlots = Math.min(options.batchSize, Math.max(1, dataset.train.count));
    checkSlotMemory(batchSlots, this.layout.total, options.dtype, SLOT_MEMORY_LIMIT_BYTES);
    this.state = createSharedState(this.model, backend, dataset.train, dataset.test, this.layout.total, batchSlots);
    this.streams = createRandomStreams(options.rng, options.seed);
    initModel(this.model, this.state.params, this.streams);
    this.adam = backend.adam(options.adam, this.layout.total);
    this.meanGrad = backend.allocShared(this.layout.total);
    this.slotSum = backend.slotSum(this.state.gradSlots, this.layout.total);
    this.coordinator = new Coordinator(this.state, options.threads, options.pool);
  }

  get params(): FloatArray {
    return this.state.params;
  }

  /** The next batch to run; saved in checkpoints. */
  get position(): TrainingPosition {
    return this.positionNow;
  }

  /** Starts from given weights (--init) instead of the initialisation. */
  setParams(values: ArrayLike<number>): void {
    this.state.params.set(values);
  }

  /** Continues from a checkpoint: parameters, Adam moments and step, and the position in the epoch. */
  restore(c: Checkpoint): void {
    this.state.params.set(c.params);
    this.adam.m.set(c.adamM);
    this.adam.v.set(c.adamV);
    this.adam.step = c.meta.adamStep;
    this.positionNow = c.meta.position;
  }

  /** Finish the step in flight, then return from run() with interrupted: true. */
  requestStop(): void {
    this.stopRequested = true;
  }

  /** Trains from the current position to the last epoch, evaluating on the test set after each. */
  async run(listener: TrainListener = {}): Promise<RunResult> {
    const reports: EpochReport[] = [];
    while (this.positionNow.epoch < this.options.epochs) {
      const report = await this.trainEpoch(listener);
      if (report === null) return { reports, interrupted: true };
      reports.push(report);
      await listener.onEpoch?.(report);
    }
    return { reports, interrupted: false };
  }

  /** Runs the rest of the current epoch; null when stopped on request before its end. */
  private async trainEpoch(listener: TrainListener): Promise<EpochReport | null> {
    const { train } = this.dataset;
    const { batchSize, dropLast } = this.options;
    const epoch = this.positionNow.epoch;
    this.setEpochOrder(epoch);
    const batches = epochBatches(train.count, batchSize, dropLast);
    const timing = new TimingTotals();
    const started = performance.now();
    const samplesBefore = this.positionNow.epochSamples;
    for (let b = this.positionNow.batch; b < batches.length; b++) {
      if (this.stopRequested) return null;
      const batch = batches[b];
      await this.step(batch, timing);
      let lossSum = this.positionNow.epochLossSum;
      for (let i = 0; i < batch.count; i++) lossSum += this.state.batchLosses[i];
      this.positionNow = { epoch, batch: b + 1, epochLossSum: lossSum, epochSamples: this.positionNow.epochSamples + batch.count };
      const elapsedSec = (performance.now() - started) / 1000;
      const samplesNow = this.positionNow.epochSamples - samplesBefore;
      listener.onBatch?.({ epoch: epoch + 1, samplesDone: this.positionNow.epochSamples, samplesTotal: train.count, samplesPerSec: samplesNow / elapsedSec });
      await listener.onStep?.(this);
    }
    const trainSeconds = (performance.now() - started) / 1000;
    const test = await this.evaluate();
    const { epochLossSum, epochSamples } = this.positionNow;
    this.positionNow = { epoch: epoch + 1, batch: 0, epochLossSum: 0, epochSamples: 0 };
    return {
      epoch: epoch + 1,
      epochs: this.options.epochs,
      trainLoss: epochSamples > 0 ? epochLossSum / epochSamples : NaN,
      test,
      samples: epochSamples,
      steps: batches.length,
      samplesPerSec: timing.samples / trainSeconds,
      seconds: (performance.now() - started) / 1000,
      timing,
    };
  }

  /** Lays out epoch `epoch`'s sample order, as run() does when the epoch starts; step() runs batches of it. */
  setEpochOrder(epoch: number): void {
    this.state.order.set(this.streams.epochPermutation(epoch, this.dataset.train.count));
  }

  /**
   * One Adam step on the batch at positions [start, start+count) of the current order. A
   * non-finite loss or averaged gradient throws NumericalFault before anything is applied, so
   * the parameters stay the last good ones.
   */
  async step(batch: Batch, totals?: TimingTotals): Promise<StepTiming> {
    const job = await this.coordinator.gradients(batch.start, batch.count, this.adam.step + 1, this.slotSum);
    const reduceStart = performance.now();
    this.slotSum.finish(this.meanGrad, batch.count);
    const adamStart = performance.now();
    const fault = (what: string) => new NumericalFault(this.adam.step + 1, this.positionNow.epoch, this.positionNow.batch, what);
    if (!allFinite(this.state.batchLosses, batch.count)) throw fault('a non-finite training loss');
    if (!allFinite(this.meanGrad)) throw fault('a non-finite averaged gradient');
    this.adam.update(this.state.params, this.meanGrad);
    const adamEnd = performance.now();
    const timing = stepTiming(job, batch.count, adamStart - reduceStart, adamEnd - adamStart);
    totals?.add(timing, job);
    return timing;
  }

  /** Mean loss and correct count over the test set, computed on the pool. */
  async evaluate(): Promise<Evaluation> {
    const { test } = this.dataset;
    await this.coordinator.evaluate();
    let loss = 0;
    let correct = 0;
    for (let i = 0; i < test.count; i++) {
      loss += this.state.testLosses[i];
      if (this.state.testPredictions[i] === test.labels[i]) correct++;
    }
    return { loss: test.count > 0 ? loss / test.count : NaN, correct, total: test.count };
  }

  /** An empty task on every thread: piscina's own cost per job, for the bench. */
  emptyTasks(): Promise<JobTiming> {
    return this.coordinator.emptyTasks();
  }

  /** Which kernels compute the gradients, for reports. */
  get kernelName(): string {
    return this.backend.name;
  }

  /** The state a checkpoint needs from the trainer itself. */
  snapshot(): Pick<Checkpoint, 'params' | 'adamM' | 'adamV'> & { position: TrainingPosition; adamStep: number } {
    return { params: this.state.params, adamM: this.adam.m, adamV: this.adam.v, position: this.positionNow, adamStep: this.adam.step };
  }

  close(): Promise<void> {
    return this.coordinator.close();
  }
}
