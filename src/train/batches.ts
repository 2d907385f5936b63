/** One mini-batch: positions [start, start+count) of the epoch's order. */
export interface Batch {
  readonly start: number;
  readonly count: number;
}

/**
 * The epoch's batches. Like the seed, `dropLast` drops a final partial batch; by default it is
 * trained as a smaller batch, averaged over its own size.
 */
export function epochBatches(samples: number, batchSize: number, dropLast: boolean): Batch[] {
  const batches: Batch[] = [];
  for (let start = 0; start < samples; start += batchSize) {
    const count = Math.min(batchSize, samples - start);
    if (count < batchSize && dropLast) break;
    batches.push({ start, count });
  }
  return batches;
}
