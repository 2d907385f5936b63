// The flags of the bench scripts: one parser, so that each prints its usage on --help and a bad
// flag gets one line and exit code 2 (as the CLI answers), instead of a stack trace.
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { UserError } from '../src/util/errors.js';

/** A flag that takes a value: its default, and a few words for --help. */
export interface ScriptFlag {
  readonly default: string;
  readonly describe: string;
}

export interface ScriptUsage<Name extends string> {
  /** The script's own import.meta.url: --help and errors name the file the user ran. */
  readonly url: string;
  /** The question the script answers, for --help. */
  readonly summary: string;
  readonly flags: Record<Name, ScriptFlag>;
  /** What the positional arguments are (for example 'PATH...'); none are accepted without it. */
  readonly positionals?: string;
}

export interface ScriptFlags<Name extends string> {
  readonly positionals: readonly string[];
  text(name: Name): string;
  /** An integer of at least `min`. */
  integer(name: Name, min: number): number;
  /** A comma-separated list of distinct integers of at least `min`, in the order given. */
  integers(name: Name, min: number): number[];
  /** A finite number above `exclusiveMin`. */
  number(name: Name, exclusiveMin: number): number;
  /** Answers a bad combination of flags the way a bad flag is answered; does not return. */
  refuse(message: string): never;
}

export function readScriptFlags<Name extends string>(usage: ScriptUsage<Name>, args = process.argv.slice(2)): ScriptFlags<Name> {
  const file = fileURLToPath(usage.url);
  const script = file.replace(/^.*[/\\]/, '').replace(/\.[jt]s$/, '');
  const refuse = (message: string): never => {
    process.stderr.write(`${script}: ${message} (--help lists the flags)\n`);
    process.exit(2);
  };
  // A bad value found past the flags (a --model description, a --data file) is answered as a bad flag is.
  const answer = (e: unknown) => {
    if (e instanceof UserError) refuse(e.message);
    // As Node would print it: the stack, and any cause or inner errors.
    console.error(e);
    process.exit(1);
  };
  process.on('uncaughtException', answer);
  process.on('unhandledRejection', answer);
  const flagNames = Object.keys(usage.flags) as Name[];
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: usage.positionals !== undefined,
      options: {
        help: { type: 'boolean' },
        ...Object.fromEntries(flagNames.map((name) => [name, { type: 'string' as const }])),
      },
    });
  } catch (e) {
    return refuse(e instanceof Error ? e.message : String(e));
  }
  if (parsed.values.help === true) {
    process.stdout.write(helpText(`node ${relative(process.cwd(), file)}`, usage));
    process.exit(0);
  }
  const given = parsed.values as Record<string, string | undefined>;
  const text = (name: Name) => given[name] ?? usage.flags[name].default;
  const integer = (name: Name, min: number) => {
    const v = text(name);
    if (!/^-?\d+$/.test(v.trim()) || Number(v) < min) refuse(`--${name} takes an integer of at least ${min}, got '${v}'`);
    return Number(v);
  };
  return {
    positionals: parsed.positionals,
    text,
    integer,
    integers(name, min) {
      const v = text(name);
      const parts = v.split(',').map((p) => p.trim());
      if (parts.some((p) => !/^-?\d+$/.test(p) || Number(p) < min)) refuse(`--${name} takes a comma-separated list of integers of at least ${min}, got '${v}'`);
      const list = parts.map(Number);
      if (new Set(list).size !== list.length) refuse(`--${name} lists a value twice: '${v}'`);
      return list;
    },
    number(name, exclusiveMin) {
      const v = text(name);
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n) || n <= exclusiveMin) refuse(`--${name} takes a number above ${exclusiveMin}, got '${v}'`);
      return n;
    },
    refuse,
  };
}

function helpText<Name extends string>(command: string, usage: ScriptUsage<Name>): string {
  const names = Object.keys(usage.flags) as Name[];
  const labels = names.map((name) => `--${name} ${usage.flags[name].default === '' ? 'VALUE' : usage.flags[name].default}`);
  const width = Math.max(0, ...labels.map((l) => l.length)) + 2;
  const lines = [
    `usage: ${command}${usage.positionals === undefined ? '' : ` ${usage.positionals}`}${names.length > 0 ? ' [flags]' : ''}`,
    '',
    usage.summary,
    '',
    ...names.map((name, i) => `  ${labels[i].padEnd(width)}${usage.flags[name].describe}`),
    `  ${'--help'.padEnd(width)}this text`,
  ];
  return `${lines.join('\n')}\n`;
}
