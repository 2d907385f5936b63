/**
 * `value` rounded to `digits` significant digits away from what it bounds: up for an upper bound,
 * down for a lower one, so that the shorter number is still a bound.
 */
function roundedOutward(value: number, digits: number, direction: 1 | -1): number {
  if (!Number.isFinite(value) || value <= 0) return value;
  const nearest = Number(value.toPrecision(digits));
  if (direction * (nearest - value) >= 0) return nearest;
  const unit = 10 ** (Math.floor(Math.log10(nearest)) - digits + 1);
  return Number((nearest + direction * unit).toPrecision(digits));
}

/**
 * Epsilon rounded up to `digits` significant digits: a guarantee printed shorter must never
 * promise more privacy than was computed (rounding to nearest could show 2.595 for 2.5954).
 */
export function epsilonUp(epsilon: number, digits: number): number {
  return roundedOutward(epsilon, digits, 1);
}

/** A lower bound on epsilon rounded down to `digits` significant digits, so that it stays one. */
export function epsilonDown(epsilon: number, digits: number): number {
  return roundedOutward(epsilon, digits, -1);
}

/** As the reports print an epsilon: four significant digits, rounded up. */
export function epsilonText(epsilon: number): string {
  return epsilonUp(epsilon, 4).toPrecision(4);
}

/** A delta as reports and messages write it: 1e-5, not 0.00001. */
export function deltaText(delta: number): string {
  return delta > 0 && delta < 1e-3 ? delta.toExponential() : String(delta);
}
