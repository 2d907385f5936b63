import type { Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { helpAsked, refuseMisusedValues } from './raw-flags.js';

interface DeclaredOptions {
  readonly key: Record<string, unknown>;
  readonly boolean: readonly string[];
  readonly count: readonly string[];
  readonly array: readonly string[];
  readonly number: readonly string[];
}

/**
 * Marks every option that takes a value as needing one, and refuses an empty one. Otherwise yargs
 * lets `--epochs` with nothing after it fall back to the default (or hands the coerce function
 * `undefined`, or `true` to a choice), so a forgotten value trains silently with another setting.
 */
export function requireFlagValues<T>(y: Argv<T>): Argv<T> {
  // getOptions() is public in yargs but missing from its type definitions.
  const options = (y as unknown as { getOptions(): DeclaredOptions }).getOptions();
  const takesNoValue = new Set([...options.boolean, ...options.count, ...options.array]);
  const valued = Object.keys(options.key).filter((name) => !takesNoValue.has(name));
  const args = hideBin(process.argv);
  if (!helpAsked(args)) {
    refuseMisusedValues(args, {
      takesValue: (name) => valued.includes(name),
      isSwitch: (name) => options.boolean.includes(name),
      isNumber: (name) => options.number.includes(name),
      isKnown: (name) => Object.hasOwn(options.key, name) || name === 'help' || name === 'version',
    });
  }
  return y.requiresArg(valued);
}

/** yargs' wording for a missing value or one outside the choices, in ours. */
export function describeMissingValue(message: string): string {
  const missing = /^Not enough arguments following: (\S+)$/.exec(message);
  if (missing) return `--${missing[1]} needs a value`;
  const choice = /^Invalid values: Argument: (\S+), Given: (.*), Choices: (.*)$/.exec(message);
  return choice ? `--${choice[1]} must be one of ${choice[3]}, got ${choice[2]}` : message;
}
