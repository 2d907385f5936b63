/** Training stopped because a loss or the averaged gradient stopped being a finite number. */
export class NumericalFault extends Error {
  constructor(
    readonly step: number,
    readonly epoch: number,
    readonly batch: number,
    what: string,
  ) {
    super(`${what} at step ${step} (epoch ${epoch + 1}, batch ${batch + 1}); the update was not applied`);
    this.name = 'NumericalFault';
  }
}

/** True when every value is finite (NaN and infinities are not). */
export function allFinite(values: ArrayLike<number>, count = values.length): boolean {
  for (let i = 0; i < count; i++) {
    // v - v is 0 for finite v and NaN for NaN and both infinities.
    const v = values[i];
    if (v - v !== 0) return false;
  }
  return true;
}
