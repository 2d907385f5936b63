import { type Grid, gridPoint } from './grid.js';
import type { SubsampledGaussianPrv } from './subsampled-gaussian.js';

/**
 * A PRV discretised on a grid: pmf[i] is the probability of the point (lo + i) dt + shift, and the
 * pmf has the grid's power-of-two length (zeros past `size`).
 */
export interface DiscretePrv {
  readonly grid: Grid;
  readonly pmf: Float64Array;
  readonly shift: number;
}

/**
 * Cell-centred discretisation of the PRV truncated to the grid's span (Gopi et al. 2021, section
 * 5): point i gets the mass of the cell of width dt around it, renormalised to 1, and the whole
 * grid is then moved right so that the discrete mean equals the continuous one. Without that shift
 * the rounding would bias every one of the `steps` summands the same way; with it the errors
 * cancel and epsilon moves by at most the theorem's epsError.
 */
export function discretise(prv: SubsampledGaussianPrv, grid: Grid): DiscretePrv {
  const { dt, size } = grid;
  const tMin = gridPoint(grid, 0, 0);
  const tMax = gridPoint(grid, size - 1, 0);
  const pmf = new Float64Array(grid.length);
  let left = prv.tails(tMin);
  let total = 0;
  for (let i = 0; i < size; i++) {
    const edge = i === size - 1 ? tMax : gridPoint(grid, i, 0) + dt / 2;
    const right = prv.tails(edge);
    // The difference of whichever tail is small, so that no cell's mass is lost to 1 - (1 - m).
    const mass = right.cdf <= 0.5 ? right.cdf - left.cdf : left.sf - right.sf;
    pmf[i] = mass;
    total += mass;
    left = right;
  }
  let discreteMean = 0;
  for (let i = 0; i < size; i++) {
    pmf[i] /= total;
    discreteMean += gridPoint(grid, i, 0) * pmf[i];
  }
  const shift = prv.truncatedMean(tMin, tMax) - discreteMean;
  if (!(Math.abs(shift) < dt / 2)) {
    throw new Error(`the discretised PRV's mean is ${shift} from the continuous one, more than half a cell (${dt / 2})`);
  }
  return { grid, pmf, shift };
}
