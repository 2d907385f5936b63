import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkNotLocked, LOCK_FILE } from '../src/train/checkpoint-lock.js';
import { CLI, expectRefused, runCli, temporaryDirectories } from './helpers/cli.js';

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

  it('runs that start together on a stale lock: exactly one takes the directory', async () => {
    const lockModule = new URL('../dist/src/train/checkpoint-lock.js', import.meta.url).href;
    const claim = [
      `import { lockCheckpointDirectory } from ${JSON.stringify(lockModule)};`,
      'const [dir, at] = process.argv.slice(1);',
      'while (Date.now() < Number(at));',
      "try { lockCheckpointDirectory(dir, '--checkpoint'); console.log('took it'); } catch (e) { console.log(e.message); }",
      'setTimeout(() => {}, 500);',
    ].join('\n');
    for (let round = 0; round < 5; round++) {
      const dir = fresh();
      writeFileSync(join(dir, LOCK_FILE), lockOf(deadPid()));
      const at = String(Date.now() + 600);
      const outputs = await Promise.all(
        [0, 1, 2, 3, 4, 5].map(
          () =>
            new Promise<string>((resolve) => {
              const child = spawn(process.execPath, ['--input-type=module', '-e', claim, dir, at]);
              let out = '';
              child.stdout.on('data', (chunk) => (out += chunk));
              child.on('close', () => resolve(out.trim()));
            }),
        ),
      );
      expect(outputs.filter((o) => o === 'took it'), outputs.join('\n')).toHaveLength(1);
      for (const o of outputs.filter((o) => o !== 'took it')) expect(o).toMatch(/is checkpointing into it|another run is taking over its stale lock/);
      expect(readdirSync(dir)).toEqual([]);
    }
  });

  it("a lock naming this very process is a killed run's whose process id came round again", () => {
    const dir = fresh();
    writeFileSync(join(dir, LOCK_FILE), lockOf(process.pid));
    expect(() => checkNotLocked(dir, '--checkpoint')).not.toThrow();
    writeFileSync(join(dir, LOCK_FILE), lockOf(process.ppid));
    expect(() => checkNotLocked(dir, '--checkpoint')).toThrow(/is checkpointing into it/);
  });

  it('a closed terminal (SIGHUP) ends the run at once, and the lock and the folders it made go with it', async () => {
    const dir = join(fresh(), 'new', 'run');
    const child = spawn(process.execPath, [CLI, 'train', '--train-count', '3000', '--test-count', '50', '--epochs', '5', '--threads', '1', '--checkpoint', dir]);
    let closed = false;
    const ended = new Promise<number | null>((resolve) => child.on('close', (status) => ((closed = true), resolve(status))));
    while (!existsSync(join(dir, LOCK_FILE)) && !closed) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closed, 'the run ended before it took the lock').toBe(false);
    child.kill('SIGHUP');
    expect(await ended).toBe(129);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    // The run may have written a checkpoint before the signal, which stays; else nothing does.
    expect(existsSync(dir) ? readdirSync(dir) : []).not.toContain(LOCK_FILE);
    if (!existsSync(join(dir, 'checkpoint.npz'))) expect(existsSync(join(dir, '..'))).toBe(false);
  });

  it('a run refused after taking the lock leaves no directory and no lock behind', () => {
    const dir = join(fresh(), 'new', 'run');
    const r = runCli(['train', ...run, '--checkpoint', dir, '--data', join(dir, '..', 'missing.npz')]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/missing\.npz/);
    expect(existsSync(join(dir, '..'))).toBe(false);
  });
});
