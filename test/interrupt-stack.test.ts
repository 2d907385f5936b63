// Ctrl-C while a layer stack trains privately: as test/interrupt.test.ts checks for the seed
// network's ordinary training, the step in flight finishes, the checkpoint is written and the weights
// are not, and resuming gives bitwise the weights of the uninterrupted run, and the same epsilon (the
// Poisson draws, the noise and the accountant's step count all continue).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { howItEnded, runCli, temporaryDirectories } from './helpers/cli.js';
import { interruptWhen } from './helpers/signals.js';
import { weightBytes } from './helpers/weights.js';

// opacus-mnist, 400 samples drawn at rate 40/400: 10 steps per epoch, 30 in all.
const run = ['train', '--model', 'opacus-mnist', '--train-count', '400', '--test-count', '40', '--batch-size', '40', '--epochs', '3', '--threads', '2',
  '--dp', '--noise', '1.1', '--clip', '0.5', '--lr', '0.5'];
const privacyLine = (stdout: string) => stdout.split('\n').find((line) => line.startsWith('privacy: '));
const fresh = temporaryDirectories('signal-stack');

describe('Ctrl-C during private opacus-mnist training', () => {
  it('SIGINT: the step in flight finishes, a checkpoint and no weights are written, exit 130; resuming gives the straight run\'s weights bitwise and its epsilon', async () => {
    const dir = fresh();
    const checkpoint = join(dir, 'run');
    const r = await interruptWhen([...run, '--checkpoint', checkpoint, '--checkpoint-every', '2', '--save', join(dir, 'early.npz')], () => existsSync(join(checkpoint, 'checkpoint.npz')), ['SIGINT']);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/SIGINT: finishing the step in flight/);
    const stoppedAt = Number(/interrupted after step (\d+), checkpoint written to /.exec(r.stderr)![1]);
    expect(stoppedAt).toBeLessThan(30);
    expect(readdirSync(checkpoint)).toEqual(['checkpoint.npz']);
    expect(existsSync(join(dir, 'early.npz'))).toBe(false);
    const saved = await loadCheckpoint(checkpoint);
    expect(saved.meta.step).toBe(stoppedAt);
    expect(saved.meta.spec?.layers).toHaveLength(10);
    expect(saved.meta.privacy).toMatchObject({ clip: 0.5, noise: 1.1, sampling: 'poisson' });

    const resumed = runCli(['train', '--resume', checkpoint, '--epochs', '3', '--save', join(dir, 'resumed.npz')]);
    expect(resumed.status, howItEnded(resumed)).toBe(0);
    const straight = runCli([...run, '--save', join(dir, 'straight.npz')]);
    expect(straight.status, howItEnded(straight)).toBe(0);
    expect((await weightBytes(join(dir, 'resumed.npz'))).equals(await weightBytes(join(dir, 'straight.npz')))).toBe(true);
    expect(privacyLine(resumed.stdout)).toMatch(/^privacy: \([\d.]+, 0\.00001\)-differentially private by the rdp accountant \(30 steps, /);
    expect(privacyLine(resumed.stdout)).toBe(privacyLine(straight.stdout));
  });
});
