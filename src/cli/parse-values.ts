import { UserError } from '../util/errors.js';

/** Checks a yargs number: NaN (a non-numeric value) and fractions are refused naming the flag. */
export function positiveInt(flag: string, max = Number.MAX_SAFE_INTEGER): (v: number) => number {
  return (v) => {
    if (!Number.isInteger(v) || v < 1 || v > max) {
      throw new UserError(`--${flag} must be a whole number from 1 to ${max}, got ${describe(v)}`);
    }
    return v;
  };
}

export function nonNegativeInt(flag: string, max = Number.MAX_SAFE_INTEGER): (v: number) => number {
  return (v) => {
    if (!Number.isInteger(v) || v < 0 || v > max) {
      throw new UserError(`--${flag} must be a whole number from 0 to ${max}, got ${describe(v)}`);
    }
    return v;
  };
}

export function positiveNumber(flag: string, max = Infinity): (v: number) => number {
  const bound = max === Infinity ? '' : ` up to ${max}`;
  return (v) => {
    if (!Number.isFinite(v) || v <= 0 || v > max) throw new UserError(`--${flag} must be a positive number${bound}, got ${describe(v)}`);
    return v;
  };
}

/** A probability-like coefficient in [0, 1). */
export function unitInterval(flag: string): (v: number) => number {
  return (v) => {
    if (!Number.isFinite(v) || v < 0 || v >= 1) throw new UserError(`--${flag} must be at least 0 and below 1, got ${describe(v)}`);
    return v;
  };
}

/** "8" for 8x8, or "HxW" such as "5x3". */
export function heightByWidth(flag: string): (v: string | number) => [number, number] {
  return (v) => {
    const text = String(v).trim();
    const match = /^(\d+)(?:x(\d+))?$/.exec(text);
    const h = match ? Number(match[1]) : NaN;
    const w = match ? Number(match[2] ?? match[1]) : NaN;
    if (!match || h < 1 || w < 1 || h > 4096 || w > 4096) {
      throw new UserError(`--${flag} must be a size like 8 or 8x6 (height x width), got '${text}'`);
    }
    return [h, w];
  };
}

function describe(v: unknown): string {
  return typeof v === 'number' && Number.isNaN(v) ? 'a value that is not a number' : String(v);
}
