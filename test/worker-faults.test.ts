import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_ENV } from '../src/parallel/fault-injection.js';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { type CliResult, howItEnded, runCli, withOverrides, withoutPrefixWarnings } from './helpers/cli.js';
import { weightBytes } from './helpers/weights.js';

// 250 samples in batches of 60: 5 steps per epoch, 10 in all; faults hit step 3.
const run = ['train', '--train-count', '250', '--test-count', '40', '--batch-size', '60', '--epochs', '2', '--threads', '2'];
// Only a hang should meet the watchdog: filling a 512 MB heap took over 3 s on a loaded machine.
const timeoutFor = (kind: string) => ['--timeout', kind === 'hang' ? '2' : '120'];
const SEED_WEIGHTS = new URL('../../shared/golden/seed_fixed_epoch1_weights.npz', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'shardtrain-fault-'));
const fresh = () => mkdtempSync(join(root, 'run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// The run without fault that the retried runs must equal, bitwise.
let cleanDir = '';
let clean: CliResult;
beforeAll(() => {
  cleanDir = fresh();
  clean = runCli([...run, '--save', join(cleanDir, 'w.npz')]);
});

describe('a worker fault in the middle of a step is retried once on fresh workers', () => {
  for (const kind of ['throw', 'exit', 'oom', 'hang'] as const) {
    it(`${kind} at step 3, once: the retry succeeds and the weights are bitwise those of a run without fault`, async () => {
      expect(clean.status, howItEnded(clean)).toBe(0);
      const dir = fresh();
      const r = runCli([...run, ...timeoutFor(kind), '--save', join(dir, 'w.npz')], { env: { [FAULT_ENV]: `${kind}@3` } });
      expect(r.status, howItEnded(r)).toBe(0);
      expect((await weightBytes(join(dir, 'w.npz'))).equals(await weightBytes(join(cleanDir, 'w.npz')))).toBe(true);
    });

    it(`${kind} at step 3, twice: the last good state is checkpointed, one line names the fault, exit 1`, async () => {
      const dir = fresh();
      const r = runCli([...run, ...timeoutFor(kind), '--checkpoint', dir], { env: { [FAULT_ENV]: `${kind}@3x2` } });
      expect(r.status, howItEnded(r)).toBe(1);
      const lines = withoutPrefixWarnings(r.stderr).trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      const named = { throw: /the worker threw/, exit: /exit/i, oom: /out of memory/, hang: /watchdog/ }[kind];
      expect(lines[0]).toMatch(/^shardtrain: step 3 failed twice, the second time on fresh workers: /);
      expect(lines[0]).toMatch(named);
      expect(lines[0]).toMatch(/the last good state is checkpointed in/);
      // Steps 1 and 2 were applied, step 3 was not.
      const c = await loadCheckpoint(dir);
      expect(c.meta.step).toBe(2);
      expect(c.meta.position).toMatchObject({ epoch: 0, batch: 2 });
      expect(readdirSync(dir)).toEqual(['checkpoint.npz']);
    });
  }
});

describe('the watchdog times steps, not the start of the threads', () => {
  // Twelve threads on a small machine take more than half a second to start; a step of 60 samples takes milliseconds.
  it('--threads 12 --timeout 0.5 trains', () => {
    const r = runCli([...withOverrides(run, ['--threads', '12', '--epochs', '1']), '--timeout', '0.5']);
    expect(r.status, howItEnded(r)).toBe(0);
  });
  it('--threads 12 --timeout 0.5 evaluates', () => {
    const r = runCli(['eval', '--weights', SEED_WEIGHTS, '--test-count', '200', '--threads', '12', '--timeout', '0.5']);
    expect(r.status, howItEnded(r)).toBe(0);
  });
  it("bench's bare kernel runs its 200 ms past a --timeout of 0.15 s, which bounds the steps", () => {
    const r = runCli(['bench', '--threads', '1', '--steps', '5', '--warmup', '2', '--repeat', '1', '--train-count', '500', '--test-count', '50', '--timeout', '0.15']);
    expect(r.status, howItEnded(r)).toBe(0);
  });
});

describe('bench: a step that fails twice is one line and exit 1, a hang is bounded by --timeout', () => {
  const bench = ['bench', '--threads', '1,2', '--steps', '5', '--warmup', '2', '--repeat', '1', '--no-bare-kernel', '--train-count', '500', '--test-count', '50'];
  for (const [kind, named] of [['throw', /the worker threw$/], ['hang', /no result within the 1 s watchdog/]] as const) {
    it(`${kind} at step 3, twice`, () => {
      const r = runCli([...bench, '--timeout', '1'], { env: { [FAULT_ENV]: `${kind}@3x2` } });
      expect(r.status, howItEnded(r)).toBe(1);
      // Beside the progress lines (each trainer says when it has started), the error is one line.
      const lines = withoutPrefixWarnings(r.stderr).trim().split('\n').filter((line) => !line.startsWith('bench: '));
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^shardtrain: step 3 failed twice, the second time on fresh workers: /);
      expect(lines[0]).toMatch(named);
    });
  }
});

describe('a fault after the main thread has summed part of the batch', () => {
  // The main thread adds each slot as it completes; a retried step must start its sum again.
  for (const dtype of ['float32', 'float64'] as const) {
    it(`${dtype}: throw at step 3's position 45 of 60, once: the weights are bitwise those of a run without fault`, async () => {
      // The float64 (TypeScript) kernels are slow: one epoch of 5 steps holds step 3.
      const dtypeRun = dtype === 'float32' ? run : withOverrides(run, ['--dtype', dtype, '--epochs', '1']);
      const cleanRun = dtype === 'float32' ? clean : runCli([...dtypeRun, '--save', join(cleanDir, `w-${dtype}.npz`)]);
      expect(cleanRun.status, howItEnded(cleanRun)).toBe(0);
      const reference = join(cleanDir, dtype === 'float32' ? 'w.npz' : `w-${dtype}.npz`);
      const dir = fresh();
      const r = runCli([...dtypeRun, '--save', join(dir, 'w.npz')], { env: { [FAULT_ENV]: 'throw@3.45' } });
      expect(r.status, howItEnded(r)).toBe(0);
      expect((await weightBytes(join(dir, 'w.npz'))).equals(await weightBytes(reference))).toBe(true);
    });
  }
});

describe('a non-finite loss or gradient stops training', () => {
  it('--lr 1e30 in float32: stops within a few steps naming the step, keeps the last good checkpoint, exit 1', async () => {
    const dir = fresh();
    const r = runCli([...run, '--lr', '1e30', '--checkpoint', dir]);
    expect(r.status, howItEnded(r)).toBe(1);
    const lines = withoutPrefixWarnings(r.stderr).trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    const match = /^shardtrain: a non-finite (training loss|averaged gradient) at step (\d+) \(epoch 1, batch \d+\); the update was not applied; the last good state is checkpointed in /.exec(lines[0]);
    expect(match, lines[0]).not.toBeNull();
    const step = Number(match![2]);
    expect(step).toBeLessThanOrEqual(5);
    const c = await loadCheckpoint(dir);
    expect(c.meta.step).toBe(step - 1);
    expect(c.params.every((v) => Number.isFinite(v))).toBe(true);
  });

  it('--lr 1e39 in float32: a finite gradient whose update overflows is not applied either, and the checkpoint resumes', async () => {
    const dir = fresh();
    const r = runCli([...run, '--lr', '1e39', '--checkpoint', dir]);
    expect(r.status, howItEnded(r)).toBe(1);
    expect(withoutPrefixWarnings(r.stderr)).toMatch(/^shardtrain: a non-finite update \(the learning rate, or a gradient, too large for the precision\) at step 1 \(epoch 1, batch 1\); the update was not applied; the last good state is checkpointed in /);
    const c = await loadCheckpoint(dir);
    expect(c.meta.step).toBe(0);
    // Resumable: it refused Infinity in 'params' when the update was kept. Resumed, the same step faults again.
    const resumed = runCli(['train', '--resume', dir]);
    expect(resumed.status, howItEnded(resumed)).toBe(1);
    expect(withoutPrefixWarnings(resumed.stderr)).toMatch(/^shardtrain: a non-finite update .* at step 1 /);
  });

  it('--dp --lr 1e30: the checkpoint\'s epoch statistics hold the norms of the steps applied, not of the step that was not', async () => {
    const dir = fresh();
    const r = runCli([...run, '--dp', '--noise', '1', '--lr', '1e30', '--checkpoint', dir]);
    expect(r.status, howItEnded(r)).toBe(1);
    expect(withoutPrefixWarnings(r.stderr)).toMatch(/^shardtrain: a non-finite (training loss|averaged gradient) at step \d+ /);
    const c = await loadCheckpoint(dir);
    expect(c.meta.step).toBeGreaterThan(0);
    expect(c.epochNorms?.length).toBe(c.meta.position.epochSamples);
  });
});
