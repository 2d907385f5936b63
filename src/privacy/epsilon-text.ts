/**
 * Epsilon rounded up to `digits` significant digits: a guarantee printed shorter must never
 * promise more privacy than was computed (rounding to nearest could show 2.595 for 2.5954).
 */
export function epsilonUp(epsilon: number, digits: number): number {
  if (!Number.isFinite(epsilon) || epsilon <= 0) return epsilon;
  const nearest = Number(epsilon.toPrecision(digits));
  if (nearest >= epsilon) return nearest;
  const unit = 10 ** (Math.floor(Math.log10(nearest)) - digits + 1);
  return Number((nearest + unit).toPrecision(digits));
}

/** As the reports print an epsilon: four significant digits, rounded up. */
/** A lower bound on epsilon rounded down to `digits` significant digits, so that it stays one. */
export function epsilonDown(epsilon: number, digits: number): number {
  if (!Number.isFinite(epsilon) || epsilon <= 0) return epsilon;
  const nearest = Number(epsilon.toPrecision(digits));
  if (nearest <= epsilon) return nearest;
  const unit = 10 ** (Math.floor(Math.log10(nearest)) - digits + 1);
  return Number((nearest - unit).toPrecision(digits));
}

/** A delta as reports and messages write it: 1e-5, not 0.00001. */
export function deltaText(delta: number): string {
  return delta > 0 && delta < 1e-3 ? delta.toExponential() : String(delta);
}

export function epsilonText(epsilon: number): string {
  return epsilonUp(epsilon, 4).toPrecision(4);
}
