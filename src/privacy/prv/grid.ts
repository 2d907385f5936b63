import { rdpEpsilon } from './rdp-bound.js';

/**
 * The mesh on which one step's PRV is discretised and its composition computed: the points
 * (lo + i) dt for i in [0, length), of which the first `size` hold the truncated PRV and the rest
 * are zeros up to the FFT's power-of-two length. lo <= 0, so 0 is a grid point, as in Opacus's
 * Domain.create_aligned; every composition of the PRV lands on the same points.
 */
export interface Grid {
  readonly dt: number;
  readonly lo: number;
  readonly size: number;
  readonly length: number;
}

/**
 * The most points a grid may have: about 0.5 GB of float64 arrays at the peak of the FFT. The
 * largest Opacus test setting (sigma 1.5, q 0.05, 20,000 steps, delta 1e-6) needs 2^23.
 */
export const MAX_GRID_LENGTH = 2 ** 23;

/**
 * The mesh of Gopi et al. (2021), theorem 5.5: with it the discretisation moves epsilon by at most
 * epsError, except with probability deltaError.
 */
export function meshSize(steps: number, epsError: number, deltaError: number): number {
  return epsError / Math.sqrt((steps * Math.log(12 / deltaError)) / 2);
}

/**
 * The half-width L of the truncation [-L, L] (remark 5.6): beyond the RDP bound for the composition
 * at deltaError/4, and for one step at deltaError/(8 steps), the losses carry too little mass to
 * matter; 3 more is the margin the authors' code and Opacus add.
 */
export function safeHalfWidth(sampleRate: number, noise: number, steps: number, epsError: number, deltaError: number): number {
  const composed = rdpEpsilon(sampleRate, noise, steps, deltaError / 4);
  const oneStep = rdpEpsilon(sampleRate, noise, 1, deltaError / (8 * steps));
  return Math.max(composed, oneStep, epsError) + 3;
}

/** The grid that covers [-halfWidth, halfWidth] with points aligned to 0, of even size. */
export function alignedGrid(halfWidth: number, dt: number): Grid {
  const lo = Math.floor(-halfWidth / dt);
  let hi = Math.ceil(halfWidth / dt);
  if ((hi - lo + 1) % 2 === 1) hi += 1;
  const size = hi - lo + 1;
  let length = 2;
  while (length < size) length *= 2;
  return { dt, lo, size, length };
}

/** The i-th point of a grid whose PRV has been moved right by `shift`. */
export function gridPoint(grid: Grid, i: number, shift: number): number {
  return (grid.lo + i) * grid.dt + shift;
}
