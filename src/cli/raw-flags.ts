import { UserError } from '../util/errors.js';

/** A `--name` or `--name=value` argument before any `--`, with the argument after it. */
interface RawFlag {
  readonly name: string;
  /** The value after '=', if written so. */
  readonly inline: string | undefined;
  readonly next: string | undefined;
}

/** The flags as written, for the checks yargs cannot make: it sees values only once converted. */
function rawFlags(args: readonly string[]): RawFlag[] {
  const flags: RawFlag[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') break;
    if (!arg.startsWith('--') || arg.length < 3) continue;
    const [name, ...value] = arg.slice(2).split('=');
    flags.push({ name, inline: value.length > 0 ? value.join('=') : undefined, next: args[i + 1] });
  }
  return flags;
}

/**
 * yargs adds up an integer flag given twice (`--epochs 2 --epochs 1` is 3) and turns other
 * repeated flags into arrays; neither is what anyone means, so a repeated flag is refused.
 */
export function refuseRepeatedFlags(args: readonly string[]): void {
  const seen = new Set<string>();
  for (const { name: written } of rawFlags(args)) {
    const name = written.replace(/^no-/, '');
    if (seen.has(name)) throw new UserError(`--${name} is given more than once`);
    seen.add(name);
  }
}

/**
 * yargs reads an empty value (`--batch-size ''`, `--lr=`) as 0 for a number flag, so the refusal
 * would say "got 0" of something the user never typed; an empty value is refused as such.
 */
export function refuseEmptyValues(args: readonly string[], takesValue: (name: string) => boolean): void {
  for (const { name, inline, next } of rawFlags(args)) {
    if (takesValue(name) && (inline ?? next) === '') throw new UserError(`--${name}: the value is empty`);
  }
}
