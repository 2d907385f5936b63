import type { Dataset } from '../data/dataset.js';
import { deriveDims, type ModelConfig, type ModelDims, type ModelOptions } from '../model/config.js';
import { allocFloat, type Dtype, type FloatArray } from '../model/float-array.js';
import { initParameters } from '../model/init.js';
import { parameterLayout, type ParameterLayout } from '../model/parameters.js';
import { Adam, type AdamOptions } from '../optim/adam.js';
import { averageSlots } from '../optim/average-slots.js';
import { Coordinator } from '../parallel/coordinator.js';
import { createSharedState, type SharedState } from '../parallel/shared-state.js';
import { createRandomStreams, type RandomStreams, type RngKind } from '../rng/streams.js';
import { type Batch, epochBatches } from './batches.js';
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
  onEpoch?(report: EpochReport): void;
}

/**
 * Mini-batch Adam, data-parallel: for each batch the pool writes one gradient per sample into its
 * slot, then this thread averages the slots in sample order and applies Adam to the shared
 * parameters before the next batch is dispatched.
 */
export class Trainer {
  readonly config: ModelConfig;
  readonly dims: ModelDims;
  readonly layout: ParameterLayout;
  readonly state: SharedState;
  readonly adam: Adam;
  private readonly coordinator: Coordinator;
  readonly streams: RandomStreams;
  private readonly meanGrad: FloatArray;
  private readonly sumScratch: Float64Array;

  constructor(
    readonly dataset: Dataset,
    readonly options: TrainOptions,
  ) {
    this.config = {
      ...options.model,
      imageHeight: dataset.train.height,
      imageWidth: dataset.train.width,
      classes: dataset.classes,
    };
    this.dims = deriveDims(this.config);
    this.layout = parameterLayout(this.dims);
    const batchSlots = Math.min(options.batchSize, Math.max(1, dataset.train.count));
    this.state = createSharedState(this.config, options.dtype, dataset.train, dataset.test, this.layout.total, batchSlots);
    this.streams = createRandomStreams(options.rng, options.seed);
    initParameters(this.state.params, this.layout, this.dims, this.streams);
    this.adam = new Adam(options.adam, options.dtype, this.layout.total);
    this.meanGrad = allocFloat(options.dtype, this.layout.total);
    this.sumScratch = new Float64Array(this.layout.total);
    this.coordinator = new Coordinator(this.state, options.threads);
  }

  get params(): FloatArray {
    return this.state.params;
  }

  /** Trains every epoch, evaluating on the test set after each. */
  async run(listener: TrainListener = {}): Promise<EpochReport[]> {
    const reports: EpochReport[] = [];
    for (let e = 0; e < this.options.epochs; e++) {
      const report = await this.trainEpoch(e, listener);
      reports.push(report);
      listener.onEpoch?.(report);
    }
    return reports;
  }

  async trainEpoch(epoch: number, listener: TrainListener = {}): Promise<EpochReport> {
    const { train } = this.dataset;
    const { batchSize, dropLast } = this.options;
    this.state.order.set(this.streams.epochPermutation(epoch, train.count));
    const batches = epochBatches(train.count, batchSize, dropLast);
    const timing = new TimingTotals();
    const started = performance.now();
    let lossSum = 0;
    let samples = 0;
    for (const batch of batches) {
      await this.step(batch, timing);
      for (let i = 0; i < batch.count; i++) lossSum += this.state.batchLosses[i];
      samples += batch.count;
      const elapsedSec = (performance.now() - started) / 1000;
      listener.onBatch?.({ epoch: epoch + 1, samplesDone: samples, samplesTotal: train.count, samplesPerSec: samples / elapsedSec });
    }
    const trainSeconds = (performance.now() - started) / 1000;
    const test = await this.evaluate();
    return {
      epoch: epoch + 1,
      epochs: this.options.epochs,
      trainLoss: samples > 0 ? lossSum / samples : NaN,
      test,
      samples,
      steps: batches.length,
      samplesPerSec: samples / trainSeconds,
      seconds: (performance.now() - started) / 1000,
      timing,
    };
  }

  /** One Adam step on the batch at positions [start, start+count) of the current order. */
  async step(batch: Batch, totals?: TimingTotals): Promise<StepTiming> {
    const phase = await this.coordinator.computeGradients(batch.start, batch.count);
    const reduceStart = performance.now();
    averageSlots(this.meanGrad, this.state.gradSlots, batch.count, this.sumScratch);
    const adamStart = performance.now();
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

  close(): Promise<void> {
    return this.coordinator.close();
  }
}
