import { UserError } from '../util/errors.js';

/**
 * yargs adds up an integer flag given twice (`--epochs 2 --epochs 1` is 3) and turns other
 * repeated flags into arrays; neither is what anyone means, so a repeated flag is refused.
 * Only `--name` and `--name=value` forms count; values and anything after `--` are skipped.
 */
export function refuseRepeatedFlags(args: readonly string[]): void {
  const seen = new Set<string>();
  for (const arg of args) {
    if (arg === '--') return;
    if (!arg.startsWith('--') || arg.length < 3) continue;
    const name = arg.slice(2).split('=')[0].replace(/^no-/, '');
    if (seen.has(name)) throw new UserError(`--${name} is given more than once`);
    seen.add(name);
  }
}

/**
 * yargs reads an empty value (`--batch-size ''`, `--lr=`) as 0 for a number flag, so the refusal
 * would say "got 0" of something the user never typed; an empty value is refused as such.
 */
export function refuseEmptyValues(args: readonly string[]): void {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') return;
    if (!arg.startsWith('--') || arg.length < 3) continue;
    const [name, ...value] = arg.slice(2).split('=');
    const empty = value.length > 0 ? value.join('=') === '' : args[i + 1] === '';
    if (empty) throw new UserError(`--${name}: the value is empty`);
  }
}
