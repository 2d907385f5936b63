import { UserError } from '../../util/errors.js';

/**
 * A network description that cannot be built, in one line: which layer (counted from 1, as a
 * reader counts the layers of a description), how it was written, and what is wrong with it.
 * Problems of the whole description (JSON that does not parse, an input shape that differs from
 * the data's) have no layer. The CLI adds which flag or file the description came from.
 */
export class ModelSpecError extends UserError {
  constructor(
    readonly problem: string,
    /** 1-based position in the description, or null when the problem is not one layer's. */
    readonly layer: number | null = null,
    /** The layer as written (compact form or JSON), or null. */
    readonly layerText: string | null = null,
  ) {
    super(layer === null ? problem : `layer ${layer} (${layerText}): ${problem}`);
    this.name = 'ModelSpecError';
  }
}

/** Where a layer sits, to name it in errors. */
export interface LayerPlace {
  readonly layer: number;
  readonly text: string;
}

export function layerError(place: LayerPlace, problem: string): ModelSpecError {
  return new ModelSpecError(problem, place.layer, place.text);
}

/**
 * Checks one size of a description: an integer of at least `min` (1 for widths, kernels and
 * strides, 0 for padding). Says which of the three ways it fails, since "-2", "0" and "2.5" each
 * need a different fix.
 */
export function checkSize(value: unknown, what: string, min: 0 | 1, place: LayerPlace | null): number {
  const fail = (why: string): never => {
    throw place === null ? new ModelSpecError(`${what} ${why}`) : layerError(place, `${what} ${why}`);
  };
  if (typeof value !== 'number' || Number.isNaN(value)) return fail(`must be a number, got ${shortJson(value)}`);
  if (value < 0) return fail(`must not be negative, got ${value}`);
  // JSON's 1e400 and a compact size of 400 digits both read as Infinity.
  if (value === Infinity) return fail('is too large');
  if (!Number.isInteger(value)) return fail(`must be an integer, got ${value}`);
  if (value < min) return fail(`must be at least ${min}, got ${value}`);
  if (!Number.isSafeInteger(value)) return fail(`is too large, got ${value}`);
  return value;
}

/** A value as JSON for an error's one line: cut short, and never deeper than JSON.stringify can recurse. */
export function shortJson(v: unknown, max = 60): string {
  let text: string;
  try {
    // JSON.stringify writes 1e400, read as Infinity, as null; the error should show a number.
    const numbers = (_key: string, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? `\u0000${x}` : x);
    text = (JSON.stringify(v, numbers) ?? String(v)).replace(/"\\u0000([^"]*)"/g, '$1');
  } catch {
    text = Array.isArray(v) ? '[...]' : '{...}';
  }
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

/** Only the last dense layer may leave its width to the data (it is the class count). */
export function checkOpenDense(layers: readonly { type: string; out?: number }[], textOf: (i: number) => string): void {
  let last = -1;
  layers.forEach((l, i) => {
    if (l.type === 'dense') last = i;
  });
  layers.forEach((l, i) => {
    if (l.type === 'dense' && l.out === undefined && i !== last) {
      throw new ModelSpecError('only the last dense layer may leave out its width (it is the class count)', i + 1, textOf(i));
    }
  });
}
