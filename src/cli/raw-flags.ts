import { UserError } from '../util/errors.js';

/** A `--name` or `--name=value` argument before any `--`, with the argument after it. */
interface RawFlag {
  /** As written, for messages. */
  readonly written: string;
  /** In kebab case, as the options are declared: yargs takes `--batchSize` for `--batch-size`. */
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
    const [written, ...value] = arg.slice(2).split('=');
    const name = written.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    flags.push({ written, name, inline: value.length > 0 ? value.join('=') : undefined, next: args[i + 1] });
  }
  return flags;
}

/** `--help` or `-h` before any `--`, or the help command: yargs then shows help and checks nothing. */
export function helpAsked(args: readonly string[]): boolean {
  const beforeDashes = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  // Only the bare switch: '--help=no' asks for no help, and is refused as a switch given a value.
  return beforeDashes.some((arg) => arg === '--help' || arg === '-h' || arg === 'help');
}

/** `-` names standard input elsewhere; shardtrain reads files only, and yargs dropped it from predict's images. */
export function refuseStandardInput(args: readonly string[]): void {
  const beforeDashes = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  if (beforeDashes.includes('-')) throw new UserError(`-: shardtrain reads files, not standard input; give a path (./- for a file named -)`);
}

/** No command reads what follows `--`: yargs would drop it, or take it as images past the checks. */
export function refuseAfterDashes(args: readonly string[]): void {
  const after = args.indexOf('--');
  if (after < 0 || after === args.length - 1) return;
  const rest = args.slice(after + 1).map((arg) => JSON.stringify(arg)).join(' ');
  throw new UserError(`-- ${rest}: nothing after -- is read; give these before it (a file whose name starts with - as ./-name)`);
}

/**
 * yargs adds up an integer flag given twice (`--epochs 2 --epochs 1` is 3) and turns other
 * repeated flags into arrays; neither is what anyone means, so a repeated flag is refused.
 */
export function refuseRepeatedFlags(args: readonly string[]): void {
  const seen = new Set<string>();
  for (const flag of rawFlags(args)) {
    const name = flag.name.replace(/^no-/, '');
    if (seen.has(name)) throw new UserError(`--${name} is given more than once`);
    seen.add(name);
  }
}

/**
 * yargs reads an empty value (`--batch-size ''`, `--lr=`) as 0 for a number flag, so the refusal
 * would say "got 0" of something the user never typed, takes `--no-plot` as a plot of false, and
 * `--json=` as no JSON; each is refused as such.
 */
export function refuseMisusedValues(args: readonly string[], kinds: FlagKinds): void {
  const { takesValue, isSwitch, isNumber, isKnown } = kinds;
  for (const { written, name, inline, next } of rawFlags(args)) {
    // Named first: yargs would take the next argument as its value, and complain of what is then missing.
    if (!isKnown(name) && !(name.startsWith('no-') && isKnown(name.slice(3)))) {
      throw new UserError(`--${written}: no such flag here (--help lists them)`);
    }
    if (isSwitch(name) && inline?.trim() === '') throw new UserError(`--${written}=: --${name} is a switch and takes no value`);
    // yargs reads any other value of a switch as false: --dp=yes would train without privacy.
    if (isSwitch(name) && inline !== undefined && inline !== 'true' && inline !== 'false') {
      throw new UserError(`--${written}=${inline}: --${name} is a switch: give --${name} or --no-${name} (or =true, =false)`);
    }
    if (name.startsWith('no-') && takesValue(name.slice(3))) throw new UserError(`--${written}: --${name.slice(3)} takes a value, and cannot be negated`);
    if (takesValue(name) && (inline ?? next)?.trim() === '') throw new UserError(`--${written}: the value is empty`);
    if (isNumber(name) && inline !== undefined) refuseOtherNumerals(`--${written}=${inline}`, inline);
    if (isNumber(name) && inline === undefined && next !== undefined && !next.startsWith('--')) refuseOtherNumerals(`--${written} ${next}`, next);
  }
}

/** What the options are, by their kebab-case names. */
export interface FlagKinds {
  readonly takesValue: (name: string) => boolean;
  readonly isSwitch: (name: string) => boolean;
  readonly isNumber: (name: string) => boolean;
  readonly isKnown: (name: string) => boolean;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * yargs converts with Number(): `0x10` is 16, `0b11` 3, and `1e-400` underflows to 0, which
 * would train with seed 0 or be refused as "got 0"; only decimal numerals are taken.
 */
function refuseOtherNumerals(asWritten: string, value: string): void {
  const text = value.trim();
  if (text === '') return;
  if (!DECIMAL.test(text)) throw new UserError(`${asWritten}: not a decimal number`);
  const mantissa = text.replace(/e.*$/i, '');
  if (Number(text) === 0 && /[1-9]/.test(mantissa)) throw new UserError(`${asWritten}: too small to be told from 0`);
}
