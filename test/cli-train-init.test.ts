import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpz } from '../src/data/npz.js';
import { CLI, expectRefused, runCli, temporaryDirectories, trainJson } from './helpers/cli.js';

const fresh = temporaryDirectories('init');

const SEED_WEIGHTS = new URL('../../shared/golden/seed_fixed_epoch1_weights.npz', import.meta.url).pathname;

describe('train --init FILE.npz', () => {
  it("starts from the article's numpy weights: with a negligible learning rate the first epoch scores them (1768/1996)", () => {
    const r = runCli(['train', '--init', SEED_WEIGHTS, '--epochs', '1', '--lr', '1e-300', '--dtype', 'float64', '--train-count', '100', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(trainJson(r.stdout).epochs[0]).toMatchObject({ testCorrect: 1768, testTotal: 1996 });
  });

  it("reads the article's weights from a pipe as from the file (the seed's weights were read twice, and a pipe once)", () => {
    const args = ['train', '--epochs', '1', '--lr', '1e-300', '--dtype', 'float64', '--train-count', '100', '--json'];
    const quoted = args.map((arg) => `"${arg}"`).join(' ');
    const r = spawnSync('bash', ['-c', `exec "${process.execPath}" "${CLI}" ${quoted} --init <(cat "${SEED_WEIGHTS}")`], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(trainJson(r.stdout).epochs[0]).toMatchObject({ testCorrect: 1768, testTotal: 1996 });
  });

  it('the model follows the file: weights saved from a smaller network train as that network', async () => {
    const dir = fresh();
    const small = ['--filters1', '4', '--kernel1', '5x3', '--filters2', '3', '--train-count', '100', '--test-count', '50'];
    const first = runCli(['train', ...small, '--epochs', '1', '--save', join(dir, 'small.npz')]);
    expect(first.status, first.stderr).toBe(0);
    const second = runCli(['train', '--init', join(dir, 'small.npz'), '--train-count', '100', '--test-count', '50', '--epochs', '1', '--save', join(dir, 'again.npz')]);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/starting from /);
    const saved = await readNpz(join(dir, 'again.npz'));
    expect(saved.get('kern')!.shape).toEqual([4, 5, 3]);
    expect(saved.get('kern2')!.shape).toEqual([3, 4, 4, 4]);
  });

  it('is refused with a model flag for another network (naming it), with --resume, or with a class count the data lacks', () => {
    const cases: [string[], RegExp][] = [
      [['--filters1', '4'], /--init .*: --filters1 4 describes another network than the file's \(conv 16 8x8 stride 1, conv 8 4x4 stride 2\); the file decides the network, so leave --filters1 out$/],
      [['--resume', tmpdir()], /Arguments init and resume are mutually exclusive/],
      [['--data', 'test/fixtures/data/ds_seed.npz'], /seed_fixed_epoch1_weights\.npz/],
    ];
    for (const [args, message] of cases) expectRefused(runCli(['train', '--init', SEED_WEIGHTS, '--epochs', '1', ...args]), message);
  });

  it('a layer stack saved by train --save: continues as that network, bitwise the saved weights at a negligible rate; other model flags are refused', async () => {
    const dir = fresh();
    const saved = join(dir, 'stack.npz');
    const model = 'conv4k3,tanh,maxpool2,flatten,dense';
    const small = ['--train-count', '100', '--test-count', '40', '--dtype', 'float64'];
    const first = runCli(['train', '--model', model, '--epochs', '1', ...small, '--save', saved, '--json']);
    expect(first.status, first.stderr).toBe(0);
    const again = runCli(['train', '--init', saved, '--lr', '1e-300', '--epochs', '1', ...small, '--json']);
    expect(again.status, again.stderr).toBe(0);
    const [before, after] = [trainJson(first.stdout), trainJson(again.stdout)];
    expect(after.model).toEqual(before.model);
    expect(after.epochs[0].testCorrect).toBe(before.epochs[0].testCorrect);
    expect(after.epochs[0].testLoss).toBe(before.epochs[0].testLoss);
    expectRefused(runCli(['train', '--init', saved, '--filters1', '4', ...small]), /^shardtrain: --init .*stack\.npz: --filters1 sizes the seed network, and the file holds another$/);
    expectRefused(runCli(['train', '--init', saved, '--model', 'seed', ...small]), /^shardtrain: --init .*stack\.npz: --model seed is the seed network, and the file holds another; leave --model out$/);
    expectRefused(runCli(['train', '--init', saved, '--model', 'opacus-mnist', ...small]), /^shardtrain: --init .*: --model opacus-mnist describes another network than the file's \(conv4k3,tanh,maxpool2,flatten,dense10\); leave --model out$/);
    expectRefused(runCli(['train', '--init', SEED_WEIGHTS, '--model', 'opacus-mnist', ...small]), /^shardtrain: --init .*: the file holds the seed network's weights; leave out --model opacus-mnist$/);
  });
});
