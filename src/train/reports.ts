import type { Evaluation } from '../eval/test-score.js';
import type { PrivacyGuarantee } from '../privacy/privacy-settings.js';
import type { GradientNoiseScale } from './gradient-noise-scale.js';
import type { NormStatistics } from './norm-statistics.js';
import type { TimingTotals } from './step-timing.js';
import type { Trainer } from './trainer.js';

// What a training run tells its listener (the CLI's progress bar, lines and checkpoints).


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
  /** Private training: what the run has spent after this epoch, and the epoch's per-sample norms before clipping. */
  readonly privacy?: PrivacyGuarantee;
  readonly norms?: NormStatistics;
  /** With gradientStats: the epoch's gradient noise scale. */
  readonly noiseScale?: GradientNoiseScale;
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
  /**
   * After the steps that completed: after each step, or after several that the pool applied at
   * once (their number never passes a multiple of onStepEvery); a checkpoint policy hooks in here.
   */
  onStep?(trainer: Trainer): void | Promise<void>;
  /** onStep sees the state after every optimizer step that is a multiple of this. */
  readonly onStepEvery?: number;
}

export interface RunResult {
  readonly reports: EpochReport[];
  /** True when requestStop() ended the run before its last epoch. */
  readonly interrupted: boolean;
}
