// Where train writes (--save, --checkpoint, --resume) is settled before training, and a refused
// run leaves the disk as it found it. Each case is a loose end users found (issue 15, point 8).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, expectRefused, howItEnded, runCli, temporaryDirectories, withoutPrefixWarnings } from './helpers/cli.js';

const tiny = ['--epochs', '1', '--train-count', '100', '--test-count', '20', '--threads', '1'];
const fresh = temporaryDirectories('outputs');

describe('train --checkpoint DIR creates nothing before training starts', () => {
  it('a run refused for bad --data leaves no empty checkpoint directory', () => {
    const dir = join(fresh(), 'run');
    expectRefused(runCli(['train', ...tiny, '--checkpoint', dir, '--data', '/no/such/data.npz']), /\/no\/such\/data\.npz: no such file/);
    expect(existsSync(dir)).toBe(false);
  });

  it('a nested DIR that does not exist yet is made by the first checkpoint', () => {
    const dir = join(fresh(), 'runs', 'first');
    const r = runCli(['train', ...tiny, '--checkpoint', dir]);
    expect(r.status, howItEnded(r)).toBe(0);
    expect(readdirSync(dir)).toEqual(['checkpoint.npz']);
  });
});

describe('a first checkpoint that cannot be written', () => {
  it('fails in one line, exit 2, and takes the directories it made away again', () => {
    const top = fresh();
    const dir = join(top, 'runs', 'first');
    // A file size limit of 8 KiB: Node ignores SIGXFSZ, so the checkpoint's write fails with EFBIG, as on a full disk.
    const r = spawnSync('bash', ['-c', `ulimit -f 8; exec "${process.execPath}" "${CLI}" "$@"`, 'bash', 'train', ...tiny, '--checkpoint', dir], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(2);
    expect(withoutPrefixWarnings(r.stderr)).toMatch(/^shardtrain: .*\/runs\/first\/checkpoint\.npz: cannot write \.npz file \(EFBIG: file too large, write\)\n$/);
    expect(readdirSync(top)).toEqual([]);
  });

  it('takes them away also when the path climbs (a/../b/c makes a, b and c)', () => {
    const top = fresh();
    const r = spawnSync('bash', ['-c', `ulimit -f 8; exec "${process.execPath}" "${CLI}" "$@"`, 'bash', 'train', ...tiny, '--checkpoint', 'a/../b/c'], { encoding: 'utf8', cwd: top });
    expect(r.status, r.stderr).toBe(2);
    expect(readdirSync(top)).toEqual([]);
  });
});

describe('train --checkpoint DIR does not overwrite a checkpoint there', () => {
  it('is refused, pointing to --resume, and the checkpoint is left as it was', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'checkpoint.npz'), 'an earlier run');
    expectRefused(
      runCli(['train', ...tiny, '--checkpoint', dir]),
      new RegExp(`^shardtrain: --checkpoint ${dir}: already holds a checkpoint; continue that run with --resume ${dir}, or remove ${dir}/checkpoint\\.npz to start over$`),
    );
    expect(readdirSync(dir)).toEqual(['checkpoint.npz']);
  });
});

describe('outputs under a path that cannot hold files are refused before training', () => {
  // Root passes every permission check, yet can create nothing under /proc.
  it('--save /proc/...', () => {
    expectRefused(runCli(['train', ...tiny, '--save', '/proc/shardtrain-weights.npz'], { timeoutMs: 30_000 }), /^shardtrain: --save \/proc\/shardtrain-weights\.npz: directory \/proc does not accept new files/);
  });

  it('--checkpoint /proc/... (a recursive mkdir there never returns)', () => {
    expectRefused(runCli(['train', ...tiny, '--checkpoint', '/proc/shardtrain/run'], { timeoutMs: 30_000 }), /^shardtrain: --checkpoint \/proc\/shardtrain\/run: cannot be created, \/proc does not accept new files/);
  });

  it('--checkpoint under a file', () => {
    const file = join(fresh(), 'file');
    writeFileSync(file, '');
    expectRefused(runCli(['train', ...tiny, '--checkpoint', join(file, 'run')]), /: a file is in the way$/);
  });
});

describe('--save never overwrites what the run reads or keeps', () => {
  it('the training data, by its name or another path to it, is refused and left as it was', () => {
    const dir = fresh();
    const data = join(dir, 'data.npz');
    copyFileSync(new URL('./fixtures/data/ds_seed.npz', import.meta.url), data);
    const before = readFileSync(data);
    symlinkSync(data, join(dir, 'link.npz'));
    for (const save of [data, join(dir, '.', 'data.npz'), join(dir, 'link.npz')]) {
      expectRefused(runCli(['train', '--data', data, '--epochs', '1', '--save', save]), /: is the training data; give another file$/);
    }
    expect(readFileSync(data).equals(before)).toBe(true);
  });

  it("the run's checkpoint, for --checkpoint and --resume", () => {
    const dir = join(fresh(), 'run');
    const first = runCli(['train', ...tiny, '--checkpoint', dir]);
    expect(first.status, first.stderr).toBe(0);
    const checkpoint = join(dir, 'checkpoint.npz');
    expectRefused(runCli(['train', '--resume', dir, '--epochs', '2', '--save', checkpoint]), /^shardtrain: --save .*checkpoint\.npz: is the run's checkpoint; give another file$/);
    const other = join(fresh(), 'other');
    mkdirSync(other);
    expectRefused(runCli(['train', ...tiny, '--checkpoint', other, '--save', join(other, 'checkpoint.npz')]), /is the run's checkpoint; give another file$/);
    expect(readdirSync(other)).toEqual([]);
  });
});

describe('--checkpoint-every and --resume', () => {
  it('--checkpoint-every without a directory says which flag is missing (not "Implications failed")', () => {
    expectRefused(runCli(['train', ...tiny, '--checkpoint-every', '3']), /^shardtrain: --checkpoint-every 3 needs a directory to write to: give --checkpoint DIR \(or --resume DIR\)$/);
  });

  it('--checkpoint-every with --resume checkpoints into the resumed directory', () => {
    const dir = fresh();
    const first = runCli(['train', ...tiny, '--checkpoint', dir]);
    expect(first.status, howItEnded(first)).toBe(0);
    const resumed = runCli(['train', '--resume', dir, '--epochs', '2', '--checkpoint-every', '1', '--threads', '1']);
    expect(resumed.status, howItEnded(resumed)).toBe(0);
  });

  it('--resume given the checkpoint file names the directory to give instead, once', () => {
    const dir = fresh();
    mkdirSync(join(dir, 'run'));
    writeFileSync(join(dir, 'run', 'checkpoint.npz'), '');
    const file = join(dir, 'run', 'checkpoint.npz');
    expectRefused(runCli(['train', '--resume', file, '--epochs', '2']), new RegExp(`^shardtrain: --resume ${file}: is a file: give the directory that holds it, --resume ${join(dir, 'run')}$`));
  });
});
