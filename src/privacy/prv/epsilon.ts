import type { DiscretePrv } from './discretise.js';
import { gridPoint } from './grid.js';

export interface EpsilonBounds {
  readonly lower: number;
  readonly estimate: number;
  readonly upper: number;
}

/**
 * Epsilon at delta from the composed PRV S, with Gopi et al. (2021)'s error terms: the discrete
 * delta(eps) is within deltaError of the true one after shifting eps by epsError, so
 *   lower = eps(delta + deltaError) - epsError <= true eps <= eps(delta - deltaError) + epsError = upper.
 *
 * delta(eps) = E[(1 - e^(eps - S))+]. At the grid point t_j it is d_j - a_j, with d_j the mass at and
 * above t_j and a_j = sum_{k>=j} p_k e^(t_j - t_k); a_j is summed from the top, each step
 * multiplying by e^(-dt), so that no e^(-t) overflows however far left the grid reaches (Opacus
 * multiplies e^t by a sum of p e^(-t)).
 */
export function epsilonBounds(prv: DiscretePrv, delta: number, deltaError: number, epsError: number): EpsilonBounds {
  const { grid, pmf } = prv;
  const n = pmf.length;
  const above = new Float64Array(n);
  const discounted = new Float64Array(n);
  const decay = Math.exp(-grid.dt);
  let d = 0;
  let a = 0;
  for (let j = n - 1; j >= 0; j--) {
    d += pmf[j];
    a = pmf[j] + decay * a;
    above[j] = d;
    discounted[j] = a;
  }

  const epsilonAt = (target: number): number => {
    // The first point where delta(t_j) <= target, by bisection (delta(t_j) falls as j grows).
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (above[mid] - discounted[mid] > target) lo = mid + 1;
      else hi = mid;
    }
    if (lo === n) throw new Error(`delta ${target} is not reached on the PRV grid: epsilon is beyond its span`);
    // A target at or above all the mass (delta near 1) holds at every epsilon.
    if (above[lo] <= target) return -Infinity;
    // Between t_(j-1) and t_j the atoms counted are those at and above t_j: solve d_j - e^eps sum p e^-t = target.
    return gridPoint(grid, lo, prv.shift) + Math.log((above[lo] - target) / discounted[lo]);
  };

  // Epsilon is never negative: a delta that holds at every eps <= 0 holds at 0.
  return {
    lower: Math.max(0, epsilonAt(delta + deltaError) - epsError),
    estimate: Math.max(0, epsilonAt(delta)),
    upper: Math.max(0, epsilonAt(delta - deltaError) + epsError),
  };
}
