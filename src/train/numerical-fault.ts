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
