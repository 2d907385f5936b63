import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { runCli, temporaryDirectories, withOverrides } from './helpers/cli.js';
import { interruptWhen } from './helpers/signals.js';
import { weightBytes } from './helpers/weights.js';

const run = ['train', '--train-count', '600', '--test-count', '40', '--batch-size', '50', '--epochs', '3', '--threads', '2'];
const fresh = temporaryDirectories('signal');

describe('Ctrl-C and SIGTERM', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal}: the step in flight finishes, a checkpoint is written, exit 130; resuming gives the straight run's weights`, async () => {
      const dir = fresh();
      const checkpoint = join(dir, 'run');
      // Many epochs, so that no machine is fast enough to finish before the signal lands.
      const long = withOverrides(run, ['--epochs', '50']);
      const r = await interruptWhen([...long, '--checkpoint', checkpoint, '--checkpoint-every', '2'], () => existsSync(join(checkpoint, 'checkpoint.npz')), [signal]);
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).toMatch(new RegExp(`${signal}: finishing the step in flight`));
      expect(r.stderr).toMatch(/shardtrain: interrupted after step \d+, checkpoint written to .* \(continue with --resume /);
      expect(readdirSync(checkpoint)).toEqual(['checkpoint.npz']);
      const saved = await loadCheckpoint(checkpoint);
      const stoppedAt = Number(/after step (\d+)/.exec(r.stderr)![1]);
      expect(saved.meta.step).toBe(stoppedAt);
      expect(stoppedAt).toBeLessThan(600); // 12 steps per epoch, 50 epochs: it did stop early

      // To the end of the epoch after the one it stopped in, against a straight run as long.
      const epochs = String(Math.floor(stoppedAt / 12) + 2);
      const resumed = runCli(['train', '--resume', checkpoint, '--epochs', epochs, '--save', join(dir, 'resumed.npz')]);
      expect(resumed.status, resumed.stderr).toBe(0);
      const straight = runCli([...withOverrides(run, ['--epochs', epochs]), '--save', join(dir, 'straight.npz')]);
      expect(straight.status, straight.stderr).toBe(0);
      expect((await weightBytes(join(dir, 'resumed.npz'))).equals(await weightBytes(join(dir, 'straight.npz')))).toBe(true);
    });
  }

  it('a second Ctrl-C exits at once with 130 and leaves no half-written file', async () => {
    const dir = fresh();
    const r = await interruptWhen(withOverrides(run, ['--epochs', '50', '--checkpoint', dir, '--checkpoint-every', '1']), () => existsSync(join(dir, 'checkpoint.npz')), ['SIGINT', 'SIGINT']);
    expect(r.code).toBe(130);
    // Only the complete checkpoint: no temporary file, whenever the second signal landed.
    expect(readdirSync(dir)).toEqual(['checkpoint.npz']);
    await loadCheckpoint(dir);
  });

  it('Ctrl-C during start-up exits at once: 130, or killed by SIGINT before Node installed the handler', async () => {
    const dir = fresh();
    const r = await interruptWhen([...run, '--checkpoint', dir], () => true, ['SIGINT']);
    expect(r.code === 130 || r.signal === 'SIGINT', `code ${r.code}, signal ${r.signal}`).toBe(true);
    expect(r.stdout).not.toMatch(/^epoch/m);
    expect(readdirSync(dir).filter((f) => f !== 'checkpoint.npz')).toEqual([]);
  });

  it('Ctrl-C once the handler is there, while the data loads and the pool starts: 130, and the lock goes', async () => {
    // The checkpoint lock is taken after the handlers are installed and before the data is read.
    const dir = join(fresh(), 'run');
    const r = await interruptWhen([...withOverrides(run, ['--epochs', '50']), '--checkpoint', dir], () => existsSync(join(dir, 'checkpoint.lock')), ['SIGINT']);
    expect(r.signal, r.stderr).toBe(null);
    expect(r.code, r.stderr).toBe(130);
    expect(existsSync(join(dir, 'checkpoint.lock'))).toBe(false);
  });
});
