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
