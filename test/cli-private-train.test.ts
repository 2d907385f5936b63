import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openNpz } from '../src/data/npz.js';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { FAULT_ENV } from '../src/parallel/fault-injection.js';
import { expectRefused, runCli, runCliAsync, temporaryDirectories, trainJson } from './helpers/cli.js';
import { weightBytes } from './helpers/weights.js';

const ODD = 'conv3k5x3p2x1,tanh,maxpool3x2s1x2,conv4k3s2x1,relu,flatten,dense';
const data = ['--train-count', '300', '--test-count', '40', '--batch-size', '64', '--model', ODD];
const dp = ['--dp', '--noise', '1.1', '--clip', '0.5', '--lr', '0.5'];
const fresh = temporaryDirectories('private');

describe('train --dp', () => {
  it('reports epsilon, delta, accountant, the clipped share and the median norm every epoch, in text and JSON', () => {
    const text = runCli(['train', ...data, ...dp, '--epochs', '2']);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^private: clip 0\.5, noise multiplier 1\.10000, Poisson sampling at rate 0\.2000 \(expected batch 60\.0000\); 10 steps spend epsilon [\d.]+ at delta 0\.00001 \(rdp\)$/m);
    expect(text.stdout).toMatch(/^epoch 2\/2 .* epsilon [\d.]+ \(delta 0\.00001, rdp\)  clipped [\d.]+%  median norm [\d.e+-]+$/m);
    expect(text.stdout).toMatch(/^privacy: \([\d.]+, 0\.00001\)-differentially private by the rdp accountant \(10 steps, sample rate 0\.2000, noise multiplier 1\.10000, clip 0\.5\); its noise and batches follow from --seed, so it holds only against whoever does not know the seed \(--secure-noise for weights to release\)$/m);
    const secure = runCli(['train', ...data, ...dp, '--epochs', '1', '--secure-noise']);
    expect(secure.status, secure.stderr).toBe(0);
    expect(secure.stdout).toMatch(/^privacy: \([\d.]+, 0\.00001\)-differentially private by the rdp accountant \(5 steps, sample rate 0\.2000, noise multiplier 1\.10000, clip 0\.5\)$/m);
    const json = runCli(['train', ...data, ...dp, '--epochs', '2', '--json']);
    expect(json.status, json.stderr).toBe(0);
    const [e1, e2] = trainJson(json.stdout).epochs as unknown as { privacy: Record<string, unknown>; norms: Record<string, number> }[];
    expect(e1.privacy).toMatchObject({ delta: 1e-5, accountant: 'rdp', noise: 1.1, clip: 0.5, sampleRate: 0.2, steps: 5, sampling: 'poisson', covered: true, secureNoise: false });
    expect(e2.privacy.steps).toBe(10);
    expect(e2.privacy.epsilon as number).toBeGreaterThan(e1.privacy.epsilon as number);
    expect(e1.norms.clippedFraction).toBeGreaterThan(0);
    expect(e1.norms.median).toBeGreaterThan(0);
  });

  it('shuffled batches: every report says the guarantee does not cover the run', () => {
    const r = runCli(['train', ...data, ...dp, '--sampling', 'shuffle', '--epochs', '1']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/shuffled batches of 64 \(not what the accountant assumes\)/);
    expect(r.stdout).toMatch(/epsilon [\d.]+ \(delta 0\.00001, rdp if Poisson-sampled\)/);
    expect(r.stdout).toMatch(/^privacy: not covered: the accountant assumes Poisson sampling and this run took shuffled batches/m);
  });

  it('the weights file records the guarantee; 1 epoch + a resumed 1 = 2 straight, bitwise, epsilon and statistics included', async () => {
    const dir = fresh();
    const straight = runCli(['train', ...data, ...dp, '--epochs', '2', '--json', '--save', join(dir, 'straight.npz')]);
    expect(straight.status, straight.stderr).toBe(0);
    const saved = await openNpz(join(dir, 'straight.npz'));
    const guarantee = JSON.parse(await saved.readText('privacy'));
    expect(guarantee).toMatchObject({ delta: 1e-5, accountant: 'rdp', steps: 10, clip: 0.5, noise: 1.1, sampling: 'poisson', covered: true });
    // 5 steps an epoch: the checkpoint at step 3 is mid-epoch, with that epoch's norms so far.
    const first = runCli(['train', ...data, ...dp, '--epochs', '1', '--threads', '1', '--checkpoint', join(dir, 'run'), '--checkpoint-every', '3']);
    expect(first.status, first.stderr).toBe(0);
    const checkpoint = await loadCheckpoint(join(dir, 'run'));
    expect(checkpoint.meta.privacy).toMatchObject({ clip: 0.5, noise: 1.1, sampling: 'poisson' });
    expect(checkpoint.meta.optimizer).toEqual({ kind: 'sgd', lr: 0.5, momentum: 0.9 });
    const second = runCli(['train', '--resume', join(dir, 'run'), '--epochs', '2', '--threads', '3', '--json', '--save', join(dir, 'resumed.npz')]);
    expect(second.status, second.stderr).toBe(0);
    expect((await weightBytes(join(dir, 'resumed.npz'))).equals(await weightBytes(join(dir, 'straight.npz')))).toBe(true);
    const strip = (stdout: string) => trainJson(stdout).epochs.map((e) => JSON.stringify({ ...e, samplesPerSec: 0, seconds: 0 }));
    expect(strip(second.stdout)).toEqual(strip(straight.stdout).slice(1));
  });

  it('a worker that throws mid-step is retried on fresh workers, and the private weights are bitwise those without fault', async () => {
    const dir = fresh();
    const clean = runCli(['train', ...data, ...dp, '--epochs', '1', '--save', join(dir, 'clean.npz')]);
    expect(clean.status, clean.stderr).toBe(0);
    // Step 3 of 5, at position 20 of its Poisson batch (about 60): clipped slots and noise chunks drawn again.
    const faulty = runCli(['train', ...data, ...dp, '--epochs', '1', '--save', join(dir, 'faulty.npz')], { env: { [FAULT_ENV]: 'throw@3.20' } });
    expect(faulty.status, faulty.stderr).toBe(0);
    expect((await weightBytes(join(dir, 'faulty.npz'))).equals(await weightBytes(join(dir, 'clean.npz')))).toBe(true);
  });

  describe('refusals: one line, exit 2', () => {
    const cases: [string, string[], RegExp][] = [
      ['a private setting without --dp', ['--clip', '0.5'], /^shardtrain: --clip is a setting of private training: add --dp$/],
      ['neither noise nor a target', ['--dp'], /^shardtrain: private training needs --noise or --target-epsilon$/],
      ['both noise and a target', ['--dp', '--noise', '1', '--target-epsilon', '3'], /^shardtrain: give --noise or --target-epsilon, not both$/],
      ['delta at 1/N or above', ['--dp', '--noise', '1', '--delta', '0.004'], /^shardtrain: --delta 0\.004 must lie below 1\/N, 0\.0033333 for the 300 training samples/],
      ['a clip that is not positive', ['--dp', '--noise', '1', '--clip', '0'], /^shardtrain: --clip must be a positive number, got 0$/],
      ['a noise that is not positive', ['--dp', '--noise', '-1'], /^shardtrain: --noise must be a positive number, got -1$/],
      // It trained, and called the weights (Infinity, delta)-differentially private.
      ['a noise too small for any order to bound', ['--dp', '--noise', '1e-300'], /^shardtrain: --noise 1e-300 over \d+ steps at sample rate 0\.\d+ spends no finite epsilon by the rdp accountant at any order: raise --noise$/],
      ['the same by PRV', ['--dp', '--noise', '1e-300', '--accountant', 'prv'], /^shardtrain: --noise 1e-300 over \d+ steps at sample rate 0\.\d+ spends no finite epsilon by RDP at any order, nor within the PRV accountant's grid: raise --noise$/],
      ["Adam's settings with SGD", ['--dp', '--noise', '1', '--beta1', '0.8'], /^shardtrain: --beta1 sets Adam, and the optimizer is sgd$/],
      ['momentum with Adam', ['--momentum', '0.9'], /^shardtrain: --momentum sets SGD, and the optimizer is adam \(use --optimizer sgd\)$/],
      ['an unknown accountant', ['--dp', '--noise', '1', '--accountant', 'moments'], /^shardtrain: --accountant must be one of "rdp", "rdp-abs", "prv", got "moments"$/],
    ];
    for (const [what, args, message] of cases) {
      it.concurrent(what, async () => expectRefused(await runCliAsync(['train', ...data, '--epochs', '1', ...args]), message));
    }

    it('resuming a private run with another clip, or an ordinary run with --dp', () => {
      const dir = fresh();
      expect(runCli(['train', ...data, ...dp, '--epochs', '1', '--checkpoint', join(dir, 'private')]).status).toBe(0);
      expect(runCli(['train', ...data, '--epochs', '1', '--checkpoint', join(dir, 'ordinary')]).status).toBe(0);
      expectRefused(runCli(['train', '--resume', join(dir, 'private'), '--epochs', '2', '--clip', '0.2']), /the checkpoint was trained with --clip 0\.5, not with --clip 0\.2$/);
      expectRefused(runCli(['train', '--resume', join(dir, 'ordinary'), '--epochs', '2', '--dp']), /the checkpoint was trained without --dp, not with --dp true$/);
      expectRefused(runCli(['train', '--resume', join(dir, 'private'), '--epochs', '2', '--no-dp']), /the checkpoint was trained with --dp true, not with --dp false$/);
    });

    it('a run calibrated to --target-epsilon cannot be resumed past it; up to its own epochs it can', () => {
      const dir = fresh();
      const target = ['--dp', '--target-epsilon', '3', '--delta', '1e-3'];
      const first = runCli(['train', ...data, ...target, '--epochs', '1', '--checkpoint', join(dir, 'run'), '--checkpoint-every', '2']);
      expect(first.status, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/noise multiplier [\d.]+ \(calibrated for epsilon 3\)/);
      expectRefused(
        runCli(['train', '--resume', join(dir, 'run'), '--epochs', '3']),
        /^shardtrain: --epochs 3: the noise multiplier [\d.]+ was calibrated for --target-epsilon 3, and 15 steps would spend epsilon [\d.]+; at most 1 epoch stays within it$/,
      );
      expectRefused(runCli(['train', '--resume', join(dir, 'run')]), /^shardtrain: the run in .* has done its 1 epoch; ask for more with --epochs$/);
    });

    it('--drop-last with Poisson sampling, which has no last partial batch', async () => {
      expectRefused(await runCliAsync(['train', ...data, ...dp, '--epochs', '1', '--drop-last']), /^shardtrain: --drop-last: Poisson sampling draws each batch anew/);
    });
  });
});

describe('train --grad-stats', () => {
  it('reports B_simple every epoch in text and JSON, explains it once, and is refused with --dp', () => {
    const args = ['train', '--train-count', '600', '--test-count', '40', '--batch-size', '50', '--epochs', '2', '--grad-stats'];
    const text = runCli(args);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^epoch 2\/2 .*  B_simple \d+$/m);
    expect(text.stdout).toMatch(/^gradient noise scale B_simple ~ \d+ samples: batches (larger than 50 would still cut|beyond it mostly repeat)/m);
    const json = runCli([...args, '--json']);
    const epochs = trainJson(json.stdout).epochs as unknown as { noiseScale: { simple: number; trace: number; gradientSquared: number; batches: number } }[];
    expect(epochs[1].noiseScale.batches).toBe(12);
    expect(epochs[1].noiseScale.simple).toBeCloseTo(epochs[1].noiseScale.trace / epochs[1].noiseScale.gradientSquared, 9);
    expectRefused(runCli([...args, '--dp', '--noise', '1']), /^shardtrain: --grad-stats with --dp: statistics of the gradients without their noise would leak what the noise protects$/);
  });

  it('a resumed run reports it as the run did, unless told --no-grad-stats', () => {
    const run = join(fresh(), 'run');
    const first = runCli(['train', '--train-count', '300', '--test-count', '40', '--batch-size', '50', '--epochs', '1', '--grad-stats', '--checkpoint', run]);
    expect(first.status, first.stderr).toBe(0);
    const resumed = runCli(['train', '--resume', run, '--epochs', '2']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/^epoch 2\/2 .*  B_simple \d+$/m);
    const quiet = runCli(['train', '--resume', run, '--epochs', '3', '--no-grad-stats']);
    expect(quiet.status, quiet.stderr).toBe(0);
    expect(quiet.stdout).toMatch(/^epoch 3\/3 /m);
    expect(quiet.stdout).not.toMatch(/B_simple/);
  });
});
