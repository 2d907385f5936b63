import type { Dataset } from '../data/dataset.js';
import { deriveDims, type ModelConfig, type ModelDims, type ModelOptions } from '../model/config.js';
import { allocFloat, type Dtype, type FloatArray } from '../model/float-array.js';
import { initParameters } from '../model/init.js';
import { parameterLayout, type ParameterLayout } from '../model/parameters.js';
import { allocFloat32, createWasmBackend, type WasmBackend, WasmAdam, WasmSlotSum } from '../kernels/wasm/index.js';
import { Adam, type AdamOptions } from '../optim/adam.js';
import { JsSlotSum, type SlotSum } from '../optim/average-slots.js';
import { Coordinator, type CoordinatorOptions, type PhaseTiming } from '../parallel/coordinator.js';
import type { KernelChoice } from '../parallel/kernel-choice.js';
import { createSharedState, type SharedState } from '../parallel/shared-state.js';
import { createRandomStreams, type RandomStreams, type RngKind } from '../rng/streams.js';
import { type Batch, epochBatches } from './batches.js';
import type { Checkpoint, TrainingPosition } from './checkpoint.js';
import { allFinite, NumericalFault } from './faults.js';
import { stepTiming, TimingTotals, type StepTiming } from './step-timing.js';

export interface TrainOptions {
  readonly model: ModelOptions;
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
  /** Default 'typescript'; 'wasm' needs a backend, which Trainer.create makes. */
  readonly kernels?: KernelChoice;
}

/** Adam and WasmAdam: the same state and update, in JS or in wasm SIMD. */
interface Optimizer {
  readonly m: FloatArray;
  readonly v: FloatArray;
  step: number;
  update(params: FloatArray, grad: FloatArray): void;
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
 * Mini-batch Adam, data-parallel: for each batch the pool writes one gradient per sample into its
 * slot while this thread sums the completed slots in sample order; once all are in, it divides
 * and applies Adam to the shared parameters before the next batch is dispatched.
 */
export class Trainer {
  readonly config: ModelConfig;
  readonly dims: ModelDims;
  readonly layout: ParameterLayout;
  readonly state: SharedState;
  readonly adam: Optimizer;
  readonly streams: RandomStreams;
  private readonly backend: WasmBackend | null;
  /** Sums the batch's slots on this thread as the pool completes them. */
  private readonly slotSum: SlotSum;
  private readonly coordinator: Coordinator;
  private readonly meanGrad: FloatArray;
  private positionNow: TrainingPosition = { epoch: 0, batch: 0, epochLossSum: 0, epochSamples: 0 };
  private stopRequested = false;

  /** Makes the WebAssembly backend first when the options ask for the wasm kernels. */
  static async create(dataset: Dataset, options: TrainOptions): Promise<Trainer> {
    return new Trainer(dataset, options, options.kernels === 'wasm' ? await createWasmBackend() : null);
  }

  constructor(
    readonly dataset: Dataset,
    readonly options: TrainOptions,
    backend: WasmBackend | null = null,
  ) {
    if ((options.kernels ?? 'typescript') === 'wasm' && backend === null) throw new Error('the wasm kernels need a backend: use Trainer.create');
    if (backend !== null && options.dtype !== 'float32') throw new Error('the wasm kernels compute in float32 only');
    this.backend = backend;
    this.config = {
      ...options.model,
      imageHeight: dataset.train.height,
      imageWidth: dataset.train.width,
      classes: dataset.classes,
    };
    this.dims = deriveDims(this.config);
    this.layout = parameterLayout(this.dims);
    const batchSlots = Math.min(options.batchSize, Math.max(1, dataset.train.count));
    this.state = createSharedState(this.config, options.dtype, dataset.train, dataset.test, this.layout.total, batchSlots, backend);
    this.streams = createRandomStreams(options.rng, options.seed);
    initParameters(this.state.params, this.layout, this.dims, this.streams);
    if (backend === null) {
      this.adam = new Adam(options.adam, options.dtype, this.layout.total);
      this.meanGrad = allocFloat(options.dtype, this.layout.total);
      this.slotSum = new JsSlotSum(this.state.gradSlots, this.layout.total);
    } else {
      // Everything wasm touches lives in the shared memory; the sums and Adam run in SIMD.
      this.adam = new WasmAdam(backend, options.adam, this.layout.total);
      this.meanGrad = allocFloat32(backend.memory, this.layout.total);
      this.slotSum = new WasmSlotSum(backend, this.state.gradSlots as Float32Array, this.layout.total);
    }
    this.coordinator = new Coordinator(this.state, options.threads, options.pool);
  }

  get params(): FloatArray {
    return this.state.params;
  }

  /** The next batch to run; saved in checkpoints. */
  get position(): TrainingPosition {
    return this.positionNow;
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
    this.state.order.set(this.streams.epochPermutation(epoch, train.count));
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

  /**
   * One Adam step on the batch at positions [start, start+count) of the current order. A
   * non-finite loss or averaged gradient throws NumericalFault before anything is applied, so
   * the parameters stay the last good ones.
   */
  async step(batch: Batch, totals?: TimingTotals): Promise<StepTiming> {
    const phase = await this.coordinator.computeGradients(batch.start, batch.count, this.adam.step + 1, 1, this.slotSum);
    const reduceStart = performance.now();
    this.slotSum.finish(this.meanGrad, batch.count);
    const adamStart = performance.now();
    const fault = (what: string) => new NumericalFault(this.adam.step + 1, this.positionNow.epoch, this.positionNow.batch, what);
    if (!allFinite(this.state.batchLosses, batch.count)) throw fault('a non-finite training loss');
    if (!allFinite(this.meanGrad)) throw fault('a non-finite averaged gradient');
    this.adam.update(this.state.params, this.meanGrad);
    const adamEnd = performance.now();
    const timing = stepTiming(phase, batch.count, adamStart - reduceStart, adamEnd - adamStart);
    totals?.add(timing, phase);
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

  /** An empty task on every thread: piscina's own cost per phase, for the bench. */
  emptyPhase(): Promise<PhaseTiming> {
    return this.coordinator.noop();
  }

  /** Which kernels compute the gradients, for reports. */
  get kernelName(): string {
    return this.backend === null ? 'typescript' : `wasm ${this.backend.simd}`;
  }

  /** The state a checkpoint needs from the trainer itself. */
  snapshot(): Pick<Checkpoint, 'params' | 'adamM' | 'adamV'> & { position: TrainingPosition; adamStep: number } {
    return { params: this.state.params, adamM: this.adam.m, adamV: this.adam.v, position: this.positionNow, adamStep: this.adam.step };
  }

  close(): Promise<void> {
    return this.coordinator.close();
  }
}
