import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect } from 'vitest';

export const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

export interface CliResult {
  /** The exit code; null when a signal ended the process (then `signal` names it). */
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** What to print when an exit code was not the expected one: how the process ended, and its stderr. */
export function howItEnded(r: CliResult): string {
  return `${r.signal === null ? `exit ${r.status}` : `killed by ${r.signal}`}; stderr:\n${r.stderr}`;
}

/**
 * stderr less the warnings a --train-count or --test-count prefix of the embedded digits earns: they
 * are stored by class, and tests take short prefixes for speed.
 */
export function withoutPrefixWarnings(stderr: string): string {
  return stderr.replace(/^shardtrain: warning: --(train|test)-count \d+ takes the first .*\n/gm, '');
}

/** Runs the compiled CLI as a user would, without a terminal. */
export function runCli(args: string[], options: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    cwd: options.cwd,
    timeout: options.timeoutMs ?? 120_000,
    // A CLI stuck in a synchronous call never runs its SIGTERM handler, and spawnSync would wait for it forever.
    killSignal: 'SIGKILL',
    env: { ...process.env, SHARDTRAIN_DEBUG: '', ...options.env },
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/**
 * runCli without blocking, for refusals that never start a pool: a `describe.concurrent` table of
 * them keeps both cores busy with Node's start-up instead of one.
 */
export function runCliAsync(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: { ...process.env, SHARDTRAIN_DEBUG: '', ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** `defaults` (flag, value pairs) with every flag that `overrides` gives removed, then `overrides`. */
export function withOverrides(defaults: string[], overrides: string[]): string[] {
  const given = new Set(overrides.filter((a) => a.startsWith('--')));
  const kept: string[] = [];
  for (let i = 0; i < defaults.length; i++) {
    const isFlagWithValue = defaults[i].startsWith('--') && i + 1 < defaults.length && !defaults[i + 1].startsWith('--');
    if (given.has(defaults[i])) {
      if (isFlagWithValue) i++;
      continue;
    }
    kept.push(defaults[i]);
  }
  return [...kept, ...overrides];
}

/** A refusal as the CLI promises it: exit code 2, nothing on stdout, one line on stderr matching `message`. */
export function expectRefused(r: CliResult, message: RegExp): void {
  expect(r.status, r.stdout).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^shardtrain: /);
  expect(lines[0]).toMatch(message);
}

/**
 * A maker of fresh temporary directories, all removed when the test file is done. Call it at the
 * top of a test file (it registers an afterAll there).
 */
export function temporaryDirectories(prefix: string): () => string {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), `shardtrain-${prefix}-`));
    made.push(dir);
    return dir;
  };
}

/** train --json's stdout: the model summary line, then one object per epoch. */
export function trainJson(stdout: string): { model: { parameters: number; rows: unknown[] }; epochs: Record<string, number>[] } {
  const [first, ...rest] = stdout.trim().split('\n').map((line) => JSON.parse(line));
  return { model: first.model, epochs: rest };
}
