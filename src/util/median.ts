/**
 * The middle of the sorted values; for an even count, the mean of the two middle ones, so that
 * two runs report their midpoint rather than whichever was faster. NaN for no values, as a mean
 * of nothing would be, so that a table cell with no runs reads n/a instead of stopping the report.
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The median over repeats of a[r] / b[r], for two series measured in the same repeats (run r of
 * each within the same minute or so): the machine's speed drifts by half between minutes, which a
 * ratio of the two medians would carry in, and a ratio within each repeat cancels.
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError(`paired series differ in length: ${a.length} and ${b.length}`);
  return median(a.map((x, r) => x / b[r]));
}
