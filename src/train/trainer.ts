import type { Dataset } from '../data/dataset.js';
import { type Backend, createBackend, type KernelChoice } from '../kernels/index.js';
import type { Dtype, FloatArray } from '../model/float-array.js';
import { buildModel, initModel, type Model, type ModelChoice, modelShape, type ModelShape } from '../model/model.js';
import type { Optimizer, OptimizerSettings } from '../optim/optimizer.js';
import { Coordinator, type CoordinatorOptions } from '../parallel/coordinator.js';
import { checkRunMemory } from '../parallel/run-memory.js';
import { createSharedState, type SharedState } from '../parallel/shared-state.js';
import type { JobTiming } from '../parallel/tasks.js';
import { DpSgd } from '../privacy/dp-sgd.js';
import { SettingError } from '../util/errors.js';
import type { PrivacySettings } from '../privacy/privacy-settings.js';
import type { EpochReport, RunResult, TrainListener } from './reports.js';
import { type Evaluation, scoreTest } from '../eval/test-score.js';
import { poissonSchedule } from '../privacy/poisson-schedule.js';
import { SecureUniform } from '../rng/secure-uniform.js';
import { createRandomStreams, type RandomStreams, type RngKind } from '../rng/streams.js';
import { type BatchPlan, PoissonBatches, ShuffledBatches } from './batch-plan.js';
import { BatchGradient } from './batch-gradient.js';
import { StepRunner } from './step-runner.js';
import type { Batch } from './batches.js';
import type { Checkpoint, TrainingPosition } from './checkpoint.js';
import { EpochNorms } from './norm-statistics.js';
import { type GradientNoiseScale, NoiseScaleEstimate, type NoiseScaleSums } from './gradient-noise-scale.js';
import { NumericalFault } from './numerical-fault.js';
import { TimingTotals, type StepTiming } from './step-timing.js';

export interface TrainOptions {
  readonly model: ModelChoice;
  readonly dtype: Dtype;
  readonly epochs: number;
  readonly batchSize: number;
  readonly dropLast: boolean;
  readonly threads: number;
  readonly optimizer: OptimizerSettings;
  readonly rng: RngKind;
  readonly seed: number;
  /** DP-SGD; ordinary training without it. */
  readonly privacy?: PrivacySettings;
  /** Fewer gradient slots than a batch needs (tests of batches trained in rounds). */
  readonly maxSlots?: number;
  /** Estimate the gradient noise scale from the per-sample gradients (not with privacy: it would leak). */
  readonly gradientStats?: boolean;
  /** Fault handling of the pool (watchdog); defaults suit real runs. */
  readonly pool?: Partial<CoordinatorOptions>;
  /** Default 'typescript'. */
  readonly kernels?: KernelChoice;
}

export type { BatchProgress, EpochReport, RunResult, TrainListener } from './reports.js';

/**
 * Mini-batch training, data-parallel: for each batch the pool writes one gradient per sample into
 * its slot, the slots are summed in sample order (by this thread as they complete, or by the pool
 * threads over blocks of parameters), divided, and the optimizer applied to the shared parameters
 * before the next batch starts (by this thread, or by the pool threads for runs of steps at a
 * time: train/step-runner.ts says which). Private
 * training (DP-SGD) differs in three places: the threads clip each slot, the batches come from
 * Poisson sampling, and the sum gets Gaussian noise and a public divisor (privacy/dp-sgd.ts).
 */
export class Trainer {
  /** The network for this data, and its parameters' names, offsets and count. */
  readonly model: Model;
  readonly shape: ModelShape;
  readonly optimizer: Optimizer;
  readonly streams: RandomStreams;
  /** Private training's noise, divisor and accounting; null for ordinary training. */
  readonly dpSgd: DpSgd | null;
  private readonly plan: BatchPlan;
  private readonly state: SharedState;
  private readonly coordinator: Coordinator;
  private readonly runner: StepRunner;
  private readonly epochNorms: EpochNorms | null;
  private readonly noiseScale: NoiseScaleEstimate | null;
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
    const { privacy, batchSize, dropLast, seed } = options;
    const samples = dataset.train.count;
    this.model = buildModel(options.model, { input: [dataset.train.channels, dataset.train.height, dataset.train.width], classes: dataset.classes });
    this.shape = modelShape(this.model);
    this.streams = createRandomStreams(options.rng, seed);
    this.plan =
      privacy?.sampling === 'poisson'
        ? new PoissonBatches(seed, samples, poissonSchedule(samples, batchSize), privacy.secureNoise ? new SecureUniform() : null)
        : new ShuffledBatches(this.streams, samples, batchSize, dropLast);
    const slots = Math.min(this.plan.slots, options.maxSlots ?? Infinity);
    // The pool may apply the updates in ordinary training; private training's noise and divisor, and the statistics, stay here.
    const poolMayUpdate = privacy === undefined && !options.gradientStats;
    const size = { slots, threads: options.threads, optimizerStates: options.optimizer.kind === 'adam' ? 2 : 1, poolUpdates: poolMayUpdate };
    checkRunMemory(backend, this.model, this.shape, size, 'train');
    if (privacy !== undefined && options.gradientStats) {
      throw new SettingError('gradStats', (name) => `${name('gradStats')} with ${name('dp')}: statistics of the gradients without their noise would leak what the noise protects`);
    }
    const noise = privacy === undefined || privacy.secureNoise ? null : { seed, stddev: privacy.noise * privacy.clip };
    const perSample = { measureNorms: privacy !== undefined || options.gradientStats === true, clipNorm: privacy?.clip ?? 0, noise };
    this.optimizer = backend.optimizer(options.optimizer, this.shape.total, (_name, length) => backend.allocShared(length));
    this.state = createSharedState(this.model, backend, dataset.train, dataset.test, this.shape, slots, perSample, poolMayUpdate ? this.optimizer : null);
    initModel(this.model, this.state.params, this.streams);
    const noiseBuffer = noise === null ? new Float64Array(this.shape.total) : this.state.noise;
    this.dpSgd = privacy === undefined ? null : new DpSgd(privacy, samples, batchSize, seed, noiseBuffer);
    this.epochNorms = privacy === undefined ? null : new EpochNorms(privacy.clip);
    this.noiseScale = options.gradientStats ? new NoiseScaleEstimate() : null;
    this.coordinator = new Coordinator(this.state, options.threads, options.pool);
    const gradient = new BatchGradient(this.coordinator, this.state, backend, this.dpSgd, this.epochNorms);
    this.runner = new StepRunner(this.coordinator, this.state, gradient, this.optimizer, this.plan, this.noiseScale);
  }

  get params(): FloatArray {
    return this.state.params;
  }

  /** Whether the pool threads sum each step's slots rather than this thread (reports and bench say which). */
  get poolSums(): boolean {
    return this.coordinator.poolSums;
  }

  /** Whether the pool threads also apply the updates, several steps at a time (StepRunner). */
  get poolApplies(): boolean {
    return this.coordinator.poolUpdates;
  }

  /** The next batch to run; saved in checkpoints. */
  get position(): TrainingPosition {
    return this.positionNow;
  }

  /** Optimizer steps per epoch. */
  get stepsPerEpoch(): number {
    return this.plan.steps;
  }

  /** Starts from given weights (--init) instead of the initialisation. */
  setParams(values: ArrayLike<number>): void {
    this.state.params.set(values);
  }

  /** Continues from a checkpoint: parameters, optimizer state and step, and the position in the epoch. */
  restore(c: Checkpoint): void {
    this.state.params.set(c.params);
    for (const [name, buffer] of Object.entries(this.optimizer.buffers)) buffer.set(c.buffers[name]);
    this.optimizer.step = c.meta.step;
    this.positionNow = c.meta.position;
    if (c.epochNorms !== undefined) this.epochNorms?.restore(c.epochNorms);
    if (c.meta.noiseScale !== undefined) this.noiseScale?.restore(c.meta.noiseScale);
  }

  /** Finish the step in flight, then return from run() with interrupted: true. */
  requestStop(): void {
    this.stopRequested = true;
    this.coordinator.endStepsEarly();
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
    const epoch = this.positionNow.epoch;
    this.setEpochOrder(epoch);
    const steps = this.plan.steps;
    const timing = new TimingTotals();
    const started = performance.now();
    const samplesBefore = this.positionNow.epochSamples;
    const every = listener.onStepEvery ?? Infinity;
    while (this.positionNow.batch < steps) {
      if (this.stopRequested) return null;
      // Several steps at once end where onStep must see the state: at multiples of onStepEvery.
      await this.runner.steps(this.positionNow.batch, every - (this.optimizer.step % every), this.faultHere, (done) => {
        const p = this.positionNow;
        this.positionNow = { epoch, batch: p.batch + 1, epochLossSum: p.epochLossSum + done.lossSum, epochSamples: p.epochSamples + done.samples };
      }, timing);
      const elapsedSec = (performance.now() - started) / 1000;
      const samplesNow = this.positionNow.epochSamples - samplesBefore;
      const samplesTotal = this.dataset.train.count;
      listener.onBatch?.({ epoch: epoch + 1, samplesDone: Math.min(this.positionNow.epochSamples, samplesTotal), samplesTotal, samplesPerSec: samplesNow / elapsedSec });
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
      steps,
      // None when a resume found the epoch's steps all done, before its evaluation.
      samplesPerSec: timing.samples > 0 ? timing.samples / trainSeconds : NaN,
      seconds: (performance.now() - started) / 1000,
      timing,
      ...(this.dpSgd === null ? {} : { privacy: this.dpSgd.guarantee(this.optimizer.step), norms: this.epochNorms!.take() }),
      ...(this.noiseScale === null ? {} : { noiseScale: this.noiseScale.take() }),
    };
  }

  /** With gradientStats: the noise scale over the steps since the last epoch's report (or this call), for the bench. */
  takeNoiseScale(): GradientNoiseScale | null {
    return this.noiseScale?.take() ?? null;
  }

  /** Lays out epoch `epoch`'s sample order, as run() does when the epoch starts; step() runs batches of it. */
  setEpochOrder(epoch: number): void {
    this.plan.startEpoch(epoch, this.state.imageAt);
  }

  /** Steps of the current epoch from `index` (at most `limit`) as run() takes them, for the bench; returns how many. */
  stepsOfEpoch(index: number, limit: number, totals?: TimingTotals): Promise<number> {
    return this.runner.steps(index, limit, this.faultHere, () => {}, totals);
  }

  /** Step `index` of the current epoch alone (a private run draws its batch), the main thread applying it. */
  async stepOfEpoch(index: number, totals?: TimingTotals): Promise<StepTiming> {
    return (await this.runner.oneStep(this.runner.batchOf(index), this.faultHere, totals)).timing;
  }

  /** One optimizer step on the batch at positions [start, start+count) of the current order. */
  async step(batch: Batch, totals?: TimingTotals): Promise<StepTiming> {
    return (await this.runner.oneStep(batch, this.faultHere, totals)).timing;
  }

  private readonly faultHere = (step: number, what: string) => new NumericalFault(step, this.positionNow.epoch, this.positionNow.batch, what);

  /** Mean loss and correct count over the test set, computed on the pool. */
  async evaluate(): Promise<Evaluation> {
    await this.coordinator.evaluate();
    return scoreTest(this.state.testLosses, this.state.testPredictions, this.dataset.test);
  }

  /** Ends the pool's step session, so that its threads sleep until the next step (the bench's idle trainers). */
  endSession(): Promise<void> {
    return this.coordinator.endSession();
  }

  /** An empty task on every thread: piscina's own cost per job, for the bench. */
  emptyTasks(): Promise<JobTiming> {
    return this.coordinator.emptyTasks();
  }

  /** The bench's bare kernel on the pool's threads with the current weights: samples/s (src/bench/bare-kernel.ts). */
  bareKernel(ms: number): Promise<number> {
    return this.coordinator.bareKernel(ms);
  }

  /** Which kernels compute the gradients, for reports. */
  get kernelName(): string {
    return this.backend.name;
  }

  /** The state a checkpoint needs from the trainer itself. */
  snapshot(): Pick<Checkpoint, 'params' | 'buffers' | 'epochNorms'> & { noiseScale?: NoiseScaleSums; position: TrainingPosition; step: number } {
    const norms = this.epochNorms === null ? {} : { epochNorms: this.epochNorms.values };
    const noiseScale = this.noiseScale === null ? {} : { noiseScale: this.noiseScale.sums };
    return { params: this.state.params, buffers: this.optimizer.buffers, ...norms, ...noiseScale, position: this.positionNow, step: this.optimizer.step };
  }

  close(): Promise<void> {
    return this.coordinator.close();
  }
}
