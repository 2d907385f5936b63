import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeNpz } from '../src/data/npz-write.js';
import { FAULT_ENV } from '../src/parallel/fault-injection.js';
import { type Checkpoint, loadCheckpoint } from '../src/train/checkpoint.js';
import { type CliResult, expectRefused, howItEnded, runCli, runCliAsync, temporaryDirectories, trainJson } from './helpers/cli.js';
import { weightBytes } from './helpers/weights.js';

const data = ['--train-count', '250', '--test-count', '40', '--batch-size', '60'];
const fresh = temporaryDirectories('checkpoint');

describe('train --checkpoint / --resume', () => {
  it('2 epochs + a resumed 2 epochs = 4 straight, bitwise, with other thread counts on each side', async () => {
    const dir = fresh();
    const straight = runCli(['train', ...data, '--epochs', '4', '--threads', '2', '--json', '--save', join(dir, 'straight.npz')]);
    expect(straight.status, straight.stderr).toBe(0);
    const first = runCli(['train', ...data, '--epochs', '2', '--threads', '1', '--json', '--checkpoint', join(dir, 'run')]);
    expect(first.status, first.stderr).toBe(0);
    expect(readdirSync(join(dir, 'run'))).toEqual(['checkpoint.npz']);
    const second = runCli(['train', '--resume', join(dir, 'run'), '--epochs', '4', '--threads', '3', '--json', '--save', join(dir, 'resumed.npz')]);
    expect(second.status, second.stderr).toBe(0);
    expect((await weightBytes(join(dir, 'resumed.npz'))).equals(await weightBytes(join(dir, 'straight.npz')))).toBe(true);
    // The resumed run reports epochs 3 and 4 exactly as the straight run did.
    const strip = (stdout: string) => trainJson(stdout).epochs.map((e) => JSON.stringify({ ...e, samplesPerSec: 0, seconds: 0 }));
    expect(strip(second.stdout)).toEqual(strip(straight.stdout).slice(2));
  });

  it('a layer stack: 1 epoch + a resumed 1 = 2 straight, bitwise; another --model is refused', async () => {
    const dir = fresh();
    const model = ['--model', 'conv3k5x3p2x1,tanh,maxpool3x2s1x2,conv4k3s2x1,relu,flatten,dense12,tanh,dense'];
    const straight = runCli(['train', ...data, ...model, '--epochs', '2', '--save', join(dir, 'straight.npz')]);
    expect(straight.status, straight.stderr).toBe(0);
    const first = runCli(['train', ...data, ...model, '--epochs', '1', '--checkpoint', join(dir, 'run')]);
    expect(first.status, first.stderr).toBe(0);
    const other = runCli(['train', '--resume', join(dir, 'run'), '--epochs', '2', '--model', 'opacus-mnist']);
    expectRefused(other, /^shardtrain: --resume .*: the checkpoint was trained with --model conv3k5x3p2x1,.*, not with --model conv16k8s2p3,/);
    // --model seed names a network too, even though the seed's is asked for by its own flags.
    const seed = runCli(['train', '--resume', join(dir, 'run'), '--epochs', '2', '--model', 'seed']);
    expectRefused(seed, /^shardtrain: --resume .*: the checkpoint was trained with --model conv3k5x3p2x1,.*, not with --model seed$/);
    const second = runCli(['train', '--resume', join(dir, 'run'), '--epochs', '2', '--threads', '3', '--save', join(dir, 'resumed.npz')]);
    expect(second.status, second.stderr).toBe(0);
    const resumed = await weightBytes(join(dir, 'resumed.npz'));
    expect(resumed.length).toBe(4 * 7214);
    expect(resumed.equals(await weightBytes(join(dir, 'straight.npz')))).toBe(true);
  });

  it('--checkpoint-every N checkpoints mid-epoch; resuming from there is bitwise the straight run', async () => {
    const dir = fresh();
    const straight = runCli(['train', ...data, '--epochs', '2', '--save', join(dir, 'straight.npz')]);
    expect(straight.status, straight.stderr).toBe(0);
    // 250 samples in batches of 60: 5 steps per epoch; stopping the run at epoch 1 leaves its checkpoint at step 5.
    const partial = runCli(['train', ...data, '--epochs', '1', '--checkpoint', join(dir, 'run'), '--checkpoint-every', '3']);
    expect(partial.status, partial.stderr).toBe(0);
    const checkpoint = await loadCheckpoint(join(dir, 'run'));
    expect(checkpoint.meta.position).toMatchObject({ epoch: 1, batch: 0 });
    expect(checkpoint.meta.step).toBe(5);
    const resumed = runCli(['train', '--resume', join(dir, 'run'), '--epochs', '2', '--save', join(dir, 'resumed.npz')]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/resuming at epoch 2, step 5/);
    expect((await weightBytes(join(dir, 'resumed.npz'))).equals(await weightBytes(join(dir, 'straight.npz')))).toBe(true);
  });

  /** Two --grad-stats epochs straight, and the same run cut at step 3 with its checkpoint in dir/run; the straight run's stdout. */
  function straightAndCutStats(dir: string): string {
    const stats = [...data, '--epochs', '2', '--grad-stats', '--json'];
    const straight = runCli(['train', ...stats]);
    expect(straight.status, straight.stderr).toBe(0);
    // A thread failing twice at step 3 leaves the last good state, steps 1 and 2, in the checkpoint.
    const cut = runCli(['train', ...stats, '--checkpoint', join(dir, 'run')], { env: { [FAULT_ENV]: 'throw@3x2' } });
    expect(cut.status, cut.stderr).toBe(1);
    return straight.stdout;
  }

  /** Writes dir/run's checkpoint again with `meta` in place of its own, as an older version wrote it. */
  async function rewriteMeta(dir: string, c: Checkpoint, meta: object): Promise<void> {
    const bytes = new TextEncoder().encode(JSON.stringify(meta));
    const shape = [c.params.length];
    await writeNpz(join(dir, 'run', 'checkpoint.npz'), {
      params: { data: c.params, shape },
      ...Object.fromEntries(Object.entries(c.buffers).map(([name, values]) => [name, { data: values, shape }])),
      meta: { data: bytes, shape: [bytes.length] },
    });
  }

  it('--grad-stats: an epoch resumed from its middle reports the straight run\'s B_simple (the checkpoint keeps its sums)', async () => {
    const dir = fresh();
    const straight = straightAndCutStats(dir);
    expect((await loadCheckpoint(join(dir, 'run'))).meta).toMatchObject({ step: 2, noiseScale: { batches: 2 } });
    const resumed = runCli(['train', '--resume', join(dir, 'run'), '--epochs', '2', '--grad-stats', '--json']);
    expect(resumed.status, resumed.stderr).toBe(0);
    const strip = (stdout: string) => trainJson(stdout).epochs.map((e) => JSON.stringify({ ...e, samplesPerSec: 0, seconds: 0 }));
    expect(strip(resumed.stdout)).toEqual(strip(straight));
    expect(trainJson(resumed.stdout).epochs[0]).toMatchObject({ noiseScale: { batches: 5 } });
  });

  it("--grad-stats: a version 2 checkpoint's sums of per-batch estimates are pooled as this version pools them", async () => {
    const dir = fresh();
    const straight = straightAndCutStats(dir);
    const c = await loadCheckpoint(join(dir, 'run'));
    const b = c.meta.batchSize;
    const n = c.meta.noiseScale!;
    // What version 2 wrote for the same two full batches: the sums of their own estimates.
    await rewriteMeta(dir, c, { ...c.meta, version: 2, noiseScale: { gradientSquaredSum: n.gradientSquaredSum / (b * (b - 1)), traceSum: n.traceSum / (b - 1), batches: n.batches } });
    const resumed = runCli(['train', '--resume', join(dir, 'run'), '--epochs', '2', '--grad-stats', '--json']);
    expect(resumed.status, resumed.stderr).toBe(0);
    const scales = (stdout: string) => trainJson(stdout).epochs.map((e) => (e as unknown as { noiseScale: { simple: number } }).noiseScale.simple);
    const [want, got] = [scales(straight), scales(resumed.stdout)];
    expect(got[0]).toBeCloseTo(want[0], 9);
    expect(got[1]).toBe(want[1]);
  });

  it('a version 1 checkpoint (Adam only, TypeScript kernels, recorded by no name) resumes as it did', async () => {
    const dir = fresh();
    const typescript = [...data, '--kernels', 'typescript'];
    const straight = runCli(['train', ...typescript, '--epochs', '2', '--save', join(dir, 'straight.npz')]);
    expect(straight.status, straight.stderr).toBe(0);
    expect(runCli(['train', ...typescript, '--epochs', '1', '--checkpoint', join(dir, 'run')]).status).toBe(0);
    const c = await loadCheckpoint(join(dir, 'run'));
    // As the first checkpoints were written: no kernels and no kernel build.
    const { step, optimizer, kernels: _kernels, kernelVariant: _variant, ...rest } = c.meta;
    const { kind: _kind, ...adam } = optimizer as typeof optimizer & { kind: 'adam' };
    await rewriteMeta(dir, c, { ...rest, version: 1, adamStep: step, adam });
    const resumed = runCli(['train', '--resume', join(dir, 'run'), '--epochs', '2', '--save', join(dir, 'resumed.npz')]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect((await weightBytes(join(dir, 'resumed.npz'))).equals(await weightBytes(join(dir, 'straight.npz')))).toBe(true);
  });

  it('the checkpoint holds parameters, Adam moments and step, position, streams, model and data', async () => {
    const dir = fresh();
    const r = runCli(['train', ...data, '--epochs', '1', '--seed', '9', '--rng', 'numpy', '--dtype', 'float64', '--checkpoint', dir]);
    expect(r.status, r.stderr).toBe(0);
    const c = await loadCheckpoint(dir);
    expect(c.params).toBeInstanceOf(Float64Array);
    expect(c.params.length).toBe(9586);
    expect(c.buffers.adam_m.length).toBe(9586);
    expect(c.buffers.adam_v.some((v: number) => v > 0)).toBe(true);
    expect(c.meta).toMatchObject({ epochs: 1, step: 5, dtype: 'float64', kernels: 'typescript', kernelVariant: 'typescript', seed: 9, rng: 'numpy', batchSize: 60, position: { epoch: 1, batch: 0 } });
    expect(c.meta.config).toMatchObject({ imageHeight: 28, imageWidth: 28, classes: 10, conv1: { filters: 16 } });
    expect(c.meta.data).toMatchObject({ trainCount: 250, testCount: 40 });
    expect(c.meta.data.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('without --epochs a resumed run reaches its own epochs, not the default', async () => {
    const dir = fresh();
    const first = runCli(['train', ...data, '--epochs', '2', '--checkpoint', dir]);
    expect(first.status, first.stderr).toBe(0);
    expect((await loadCheckpoint(dir)).meta.epochs).toBe(2);
    expectRefused(runCli(['train', '--resume', dir]), /^shardtrain: the run in .* has done its 2 epochs; ask for more with --epochs$/);
  });

  it("a finished run whose --save failed gets its weights from the checkpoint: bitwise the run's own", async () => {
    const dir = fresh();
    const run = join(dir, 'run');
    const first = runCli(['train', ...data, '--epochs', '2', '--checkpoint', run, '--save', join(dir, 'straight.npz')]);
    expect(first.status, first.stderr).toBe(0);
    const saved = runCli(['train', '--resume', run, '--save', join(dir, 'again.npz')]);
    expect(saved.status, saved.stderr).toBe(0);
    expect(saved.stdout).toMatch(/\nnothing left to train: the run had done its 2 epochs\nweights saved to .*again\.npz\n$/);
    expect((await weightBytes(join(dir, 'again.npz'))).equals(await weightBytes(join(dir, 'straight.npz')))).toBe(true);
    // Into another --checkpoint directory, the state goes too.
    const copied = runCli(['train', '--resume', run, '--checkpoint', join(dir, 'copy'), '--save', join(dir, 'third.npz')]);
    expect(copied.status, copied.stderr).toBe(0);
    expect((await loadCheckpoint(join(dir, 'copy'))).meta.position).toMatchObject({ epoch: 2, batch: 0 });
    // Fewer epochs than done is still refused: it cannot be had from this checkpoint.
    expectRefused(runCli(['train', '--resume', run, '--epochs', '1', '--save', join(dir, 'one.npz')]), /--epochs 1: the run in .* has done 2 epochs already; ask for more$/);
  });

  describe('a resume that would not continue the same training is refused', () => {
    let dir: string;
    let setup: CliResult;
    beforeAll(() => {
      dir = fresh();
      setup = runCli(['train', ...data, '--epochs', '1', '--checkpoint', dir]);
    });
    const cases: [string, string[], RegExp][] = [
      ['another learning rate', ['--lr', '0.01'], /the checkpoint was trained with --lr 0\.001, not with --lr 0\.01/],
      ['another dtype', ['--dtype', 'float64'], /with --dtype float32, not with --dtype float64/],
      ['other kernels', ['--kernels', 'typescript'], /with --kernels wasm, not with --kernels typescript/],
      ['another model', ['--filters1', '4'], /the checkpoint was trained with --filters1 16, not with --filters1 4$/],
      ['another kernel size', ['--kernel2', '3x4'], /the checkpoint was trained with --kernel2 4x4, not with --kernel2 3x4$/],
      ['other data', ['--train-count', '200'], /with --train-count 250, not with --train-count 200/],
      ['a data file instead of the embedded digits', ['--data', 'test/fixtures/data/ds_seed.npz'], /trained without --data, not with --data/],
      ['no more epochs to do', ['--epochs', '1'], /--epochs 1: the run in .* has done 1 epoch already; ask for more/],
    ];
    for (const [what, args, message] of cases) {
      it.concurrent(what, async () => {
        expect(setup.status, howItEnded(setup)).toBe(0);
        expectRefused(await runCliAsync(['train', '--resume', dir, ...(args.includes('--epochs') ? [] : ['--epochs', '2']), ...args]), message);
      });
    }
    it('a directory without a checkpoint', () => {
      expectRefused(runCli(['train', '--resume', fresh(), '--epochs', '2']), /checkpoint\.npz: no such file/);
    });
    it('a file that is not a checkpoint', () => {
      const other = fresh();
      writeFileSync(join(other, 'checkpoint.npz'), 'not a zip');
      expectRefused(runCli(['train', '--resume', other, '--epochs', '2']), /checkpoint\.npz: not a zip archive/);
    });
  });

  it('a checkpoint directory that cannot be written is reported before training starts', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'file'), '');
    expectRefused(runCli(['train', ...data, '--epochs', '1', '--checkpoint', join(dir, 'file')]), new RegExp(`^shardtrain: --checkpoint ${join(dir, 'file')}: a file is in the way$`));
    expect(existsSync(join(dir, 'file', 'checkpoint.npz'))).toBe(false);
    expectRefused(runCli(['train', ...data, '--epochs', '1', '--checkpoint', '']), /^shardtrain: --checkpoint: the value is empty$/);
  });
});
