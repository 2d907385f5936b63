import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkNotLocked, LOCK_FILE } from '../src/train/checkpoint-lock.js';
import { expectRefused, runCli, temporaryDirectories } from './helpers/cli.js';

const run = ['--train-count', '200', '--test-count', '20', '--batch-size', '50', '--epochs', '1', '--threads', '1'];
const fresh = temporaryDirectories('checkpoint-lock');

function lockOf(pid: number): string {
  return JSON.stringify({ pid, host: hostname(), started: '2026-12-03T10:00:00.000Z' });
}

/** The process id of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('one run at a time checkpoints into a directory', () => {
  it('a directory a live run holds is refused, for --checkpoint and --resume alike, and its lock is left alone', () => {
    const dir = fresh();
    const first = runCli(['train', ...run, '--checkpoint', dir]);
    expect(first.status, first.stderr).toBe(0);
    const live = lockOf(process.pid);
    writeFileSync(join(dir, LOCK_FILE), live);
    const message = (flag: string) =>
      new RegExp(`^shardtrain: ${flag} ${dir}: the run of process ${process.pid} on .*, started 2026-12-03T10:00:00\\.000Z, is checkpointing into it; give another directory \\(or remove ${join(dir, LOCK_FILE)} if no such run is alive\\)$`);
    // Before "already holds a checkpoint", which would send the user to --resume it.
    expectRefused(runCli(['train', ...run, '--checkpoint', dir]), message('--checkpoint'));
    expectRefused(runCli(['train', '--resume', dir, '--epochs', '2']), message('--resume'));
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(live);
    expect(readdirSync(dir).sort()).toEqual([LOCK_FILE, 'checkpoint.npz']);
  });

  it('a lock being written this moment (not yet readable) counts as held', () => {
    const dir = fresh();
    writeFileSync(join(dir, LOCK_FILE), '');
    expectRefused(runCli(['train', ...run, '--checkpoint', dir]), /^shardtrain: --checkpoint .*: another run is checkpointing into it;/);
  });

  it("a lock left by a killed run is taken over with the checkpoint it was writing, and the run's own lock is gone when it ends", () => {
    const dir = fresh();
    const killed = deadPid();
    writeFileSync(join(dir, LOCK_FILE), lockOf(killed));
    writeFileSync(join(dir, `.checkpoint.npz.${killed}.0123456789ab.tmp`), 'half a checkpoint');
    const r = runCli(['train', ...run, '--checkpoint', dir]);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(dir)).toEqual(['checkpoint.npz']);
    // An unreadable lock from long ago was left half-written: stale too.
    writeFileSync(join(dir, LOCK_FILE), '{"pid"');
    utimesSync(join(dir, LOCK_FILE), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    const resumed = runCli(['train', '--resume', dir, '--epochs', '2', '--threads', '2']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(readdirSync(dir)).toEqual(['checkpoint.npz']);
  });

  it("a lock naming this very process is a killed run's whose process id came round again", () => {
    const dir = fresh();
    writeFileSync(join(dir, LOCK_FILE), lockOf(process.pid));
    expect(() => checkNotLocked(dir, '--checkpoint')).not.toThrow();
    writeFileSync(join(dir, LOCK_FILE), lockOf(process.ppid));
    expect(() => checkNotLocked(dir, '--checkpoint')).toThrow(/is checkpointing into it/);
  });

  it('a run refused after taking the lock leaves no directory and no lock behind', () => {
    const dir = join(fresh(), 'new', 'run');
    const r = runCli(['train', ...run, '--checkpoint', dir, '--data', join(dir, '..', 'missing.npz')]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/missing\.npz/);
    expect(existsSync(join(dir, '..'))).toBe(false);
  });
});
