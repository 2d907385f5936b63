import { SettingError } from '../util/errors.js';
import { type AccountantKind, epsilonSpent, noiseForTarget } from './accountant.js';
import { deltaText, epsilonDown } from './epsilon-text.js';
import { poissonSchedule } from './poisson-schedule.js';

/** How a private run takes its batches: Poisson sampling (what the accountants assume) or the epoch's shuffle. */
export type Sampling = 'poisson' | 'shuffle';
export const SAMPLINGS: readonly Sampling[] = ['poisson', 'shuffle'];

/** DP-SGD's settings, as a run and its checkpoints record them (the noise already resolved from a target epsilon). */
export interface PrivacySettings {
  /** Each sample's gradient is clipped to this L2 norm over all parameters. */
  readonly clip: number;
  /** The noise multiplier sigma: the sum gets N(0, (sigma * clip)^2) on every coordinate. */
  readonly noise: number;
  readonly delta: number;
  readonly accountant: AccountantKind;
  readonly sampling: Sampling;
  /** Noise from the operating system's generator instead of the seeded stream (not reproducible). */
  readonly secureNoise: boolean;
  /** The epsilon the noise was calibrated to, when it was. */
  readonly targetEpsilon?: number;
}

/** What a private run has spent, as reports, weights files and checkpoints state it. */
export interface PrivacyGuarantee {
  readonly epsilon: number;
  readonly delta: number;
  readonly accountant: AccountantKind;
  readonly noise: number;
  readonly clip: number;
  readonly sampleRate: number;
  readonly steps: number;
  readonly sampling: Sampling;
  /**
   * False for shuffled batches: the accountants assume Poisson sampling, so the epsilon is what
   * such a run would have spent, not a guarantee for this one.
   */
  readonly covered: boolean;
  /**
   * Whether the noise and the batches came from the operating system's generator; seeded ones
   * (false) hold only against whoever does not know the seed, so such weights are not for release.
   */
  readonly secureNoise: boolean;
}

/** Private training as asked for: the noise given, or a target epsilon to calibrate it to. */
export type PrivacyRequest = Omit<PrivacySettings, 'noise'> & { readonly noise?: number };

/**
 * The settings of a private run of `steps` steps on `samples` training samples: the noise
 * multiplier given (a checkpoint's, which also records the target it was calibrated to), or the
 * one the accountant finds for the target epsilon, spending within 0.01 of it (noiseForTarget).
 * Settings that give no guarantee are refused: a delta of 1/N or more lets a mechanism publish a
 * whole sample and still meet it.
 */
export function resolvePrivacy(request: PrivacyRequest, samples: number, batchSize: number, steps: number): PrivacySettings {
  const { clip, delta, noise, targetEpsilon } = request;
  if (!(clip > 0 && Number.isFinite(clip))) throw new SettingError('clip', (name) => `${name('clip')} must be a positive number, got ${clip}`);
  if (!(delta > 0 && delta < 1 / samples)) {
    throw new SettingError('delta', (name) => `${name('delta')} ${deltaText(delta)} must lie below 1/N, ${deltaText(epsilonDown(1 / samples, 5))} for the ${samples} training samples (1/N or more would allow publishing a sample outright)`);
  }
  if (noise !== undefined) {
    if (!(noise > 0 && Number.isFinite(noise))) throw new SettingError('noise', (name) => `${name('noise')} must be a positive number, got ${noise}`);
    // So little noise that no order bounds the run would train, and call its weights private, for nothing.
    const sampleRate = sampleRateOf(request.sampling, samples, batchSize);
    if (!Number.isFinite(epsilonSpent(request.accountant, { sampleRate, noise, steps }, delta).epsilon)) {
      throw new SettingError(
        'noise',
        (name) => `${name('noise')} ${noise} over ${steps} step${steps === 1 ? '' : 's'} at sample rate ${sampleRate} spends no finite epsilon by the ${request.accountant} accountant at any order: raise ${name('noise')}`,
      );
    }
    return { ...request, noise };
  }
  if (targetEpsilon === undefined) throw new SettingError('noise', (name) => `private training needs ${name('noise')} or ${name('targetEpsilon')}`);
  return { ...request, noise: noiseForTarget(request.accountant, targetEpsilon, delta, sampleRateOf(request.sampling, samples, batchSize), steps) };
}

/** The sample rate the accountant is told: Poisson's, or for shuffled batches the share of the data a batch takes. */
export function sampleRateOf(sampling: Sampling, samples: number, batchSize: number): number {
  return sampling === 'poisson' ? poissonSchedule(samples, batchSize).sampleRate : Math.min(1, batchSize / samples);
}
