import { type NameSetting, SettingError } from '../util/errors.js';
import { selfCompose } from './prv/compose.js';
import { discretise } from './prv/discretise.js';
import { epsilonBounds } from './prv/epsilon.js';
import { alignedGrid, MAX_GRID_LENGTH, meshSize, safeHalfWidth } from './prv/grid.js';
import { rdpEpsilon } from './prv/rdp-bound.js';
import { SubsampledGaussianPrv } from './prv/subsampled-gaussian.js';

/** DP-SGD's mechanism: `steps` steps, each sampling every example with probability sampleRate. */
export interface SubsampledGaussian {
  readonly sampleRate: number;
  /** The noise multiplier: the noise's standard deviation over the clipping norm. */
  readonly noise: number;
  readonly steps: number;
}

export interface PrvOptions {
  /** How far the bounds may lie from the estimate in epsilon; Opacus's 0.01 by default. */
  readonly epsError?: number;
  /** How far the discretisation may move delta; delta/1000 by default, as in Opacus. */
  readonly deltaError?: number;
}

export interface PrvEpsilon {
  /** The guarantee: the mechanism is (epsilon, delta)-DP. Opacus's PRVAccountant.get_epsilon. */
  readonly epsilon: number;
  /** Below this the true epsilon cannot be. */
  readonly epsilonLower: number;
  /** The grid's own value, within epsError of the true epsilon. */
  readonly epsilonEstimate: number;
}

/**
 * Epsilon of DP-SGD's Poisson-subsampled Gaussian mechanism at `delta` by the Privacy Random
 * Variable accountant of Gopi, Lee and Wutschitz (2021), "Numerical Composition of Differential
 * Privacy", as Opacus's PRVAccountant computes it: one step's privacy loss discretised on a mesh
 * fine enough for epsError, composed `steps` times by FFT, and epsilon read from the composed
 * distribution with bounds on both sides. Tighter than RDP; docs/privacy.md compares them.
 */
/** A mechanism whose epsilon the PRV grid cannot resolve; `rdpEpsilon` is RDP's bound on it, for a search to compare. */
export class PrvGridTooLarge extends SettingError {
  constructor(
    readonly rdpEpsilon: number,
    setting: string,
    sentence: (name: NameSetting) => string,
  ) {
    super(setting, sentence);
  }
}

const PRV_NOISE_CAP = 1e100;

export function prvEpsilon(mechanism: SubsampledGaussian, delta: number, options: PrvOptions = {}): PrvEpsilon {
  const { sampleRate, noise, steps } = mechanism;
  checkSettings(mechanism, delta);
  const epsError = options.epsError ?? 0.01;
  const deltaError = options.deltaError ?? delta / 1000;
  if (!(Number.isFinite(epsError) && epsError > 0)) {
    throw new SettingError('epsError', (name) => `${name('epsError')} must be a positive number, got ${epsError}`);
  }
  if (!(deltaError > 0 && deltaError < delta)) {
    throw new SettingError('deltaError', (name) => `${name('deltaError')} must be above 0 and below ${name('delta')} ${delta}, got ${deltaError}`);
  }

  // Epsilon cannot grow with the noise, and at 1e100 it is already the grid's floor; past about
  // 1e154 the noise's square overflows and the grid's search would not end. A larger noise is
  // accounted as 1e100, which bounds it from above.
  const accounted = Math.min(noise, PRV_NOISE_CAP);
  const dt = meshSize(steps, epsError, deltaError);
  const grid = alignedGrid(safeHalfWidth(sampleRate, accounted, steps, epsError, deltaError), dt);
  if (grid.length > MAX_GRID_LENGTH) {
    const rdp = rdpEpsilon(sampleRate, noise, steps, delta);
    throw new PrvGridTooLarge(
      rdp,
      'noise',
      (name) =>
        `${name('noise')} ${noise} over ${steps} steps at sample rate ${sampleRate} spends ` +
        (Number.isFinite(rdp)
          ? `epsilon near ${rdp.toPrecision(3)} (by RDP), which the PRV accountant would need ${grid.size} grid points to resolve (at most ${MAX_GRID_LENGTH}); raise ${name('noise')}, or take ${name('accountant')} rdp`
          : `no finite epsilon by RDP at any order, nor within the PRV accountant's grid: raise ${name('noise')}`),
    );
  }
  // Opacus's guard: past this, float64 rounding in the grid's sums is as large as delta itself.
  if (Number.EPSILON * grid.length > delta - deltaError) {
    throw new SettingError(
      'delta',
      (name) => `${name('delta')} ${delta} is too small for the PRV accountant's grid of ${grid.length} points: rounding would dominate; raise ${name('delta')} or ${name('epsError')}`,
    );
  }

  const composed = selfCompose(discretise(new SubsampledGaussianPrv(sampleRate, accounted), grid), steps);
  const bounds = epsilonBounds(composed, delta, deltaError, epsError);
  return { epsilon: bounds.upper, epsilonLower: bounds.lower, epsilonEstimate: bounds.estimate };
}

function checkSettings({ sampleRate, noise, steps }: SubsampledGaussian, delta: number): void {
  if (!(Number.isFinite(noise) && noise > 0)) {
    throw new SettingError('noise', (name) => `${name('noise')} must be a positive number, got ${noise}`);
  }
  if (!(sampleRate > 0 && sampleRate <= 1)) {
    throw new SettingError('sampleRate', (name) => `${name('sampleRate')} must be above 0 and at most 1, got ${sampleRate}`);
  }
  if (!(Number.isInteger(steps) && steps >= 1)) {
    throw new SettingError('steps', (name) => `${name('steps')} must be a positive integer, got ${steps}`);
  }
  if (!(delta > 0 && delta < 1)) {
    throw new SettingError('delta', (name) => `${name('delta')} must be above 0 and below 1, got ${delta}`);
  }
}
