// A checkpoint's meta is checked field by field before a resumed run trusts it.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeNpz } from '../src/data/npz-write.js';
import { type Checkpoint, loadCheckpoint } from '../src/train/checkpoint.js';
import { expectRefused, howItEnded, runCli, runCliAsync, temporaryDirectories } from './helpers/cli.js';

const fresh = temporaryDirectories('checkpoint-meta');

/** The checkpoint in `dir` with its meta JSON edited, written to a new directory. */
async function edited(c: Checkpoint, edit: (meta: Record<string, any>) => void): Promise<string> {
  const meta = structuredClone(c.meta) as Record<string, any>;
  edit(meta);
  const bytes = new TextEncoder().encode(JSON.stringify(meta));
  const dir = join(fresh(), 'run');
  mkdirSync(dir);
  const shape = [c.params.length];
  await writeNpz(join(dir, 'checkpoint.npz'), {
    params: { data: c.params, shape },
    ...Object.fromEntries(Object.entries(c.buffers).map(([name, data]) => [name, { data, shape }])),
    meta: { data: bytes, shape: [bytes.length] },
  });
  return dir;
}

describe('train --resume refuses a checkpoint whose meta is damaged, in one line naming the field', () => {
  let checkpoint: Checkpoint;
  beforeAll(async () => {
    const dir = join(fresh(), 'run');
    const r = runCli(['train', '--train-count', '120', '--test-count', '20', '--batch-size', '60', '--epochs', '1', '--threads', '1', '--checkpoint', dir]);
    expect(r.status, howItEnded(r)).toBe(0);
    checkpoint = await loadCheckpoint(dir);
  });

  const cases: [string, (meta: Record<string, any>) => void, RegExp][] = [
    ['a batch of 0', (m) => (m.batchSize = 0), /its meta's batchSize is 0, not a whole number from 1$/],
    ['a negative learning rate', (m) => (m.optimizer.lr = -1), /its meta's optimizer\.lr is -1, not a positive number$/],
    ['an unknown optimizer', (m) => (m.optimizer.kind = 'rmsprop'), /its meta's optimizer\.kind is "rmsprop", not one of adam, sgd$/],
    ['no optimizer', (m) => delete m.optimizer, /its meta's optimizer is missing, not an object$/],
    ['a negative epoch', (m) => (m.position.epoch = -1), /its meta's position\.epoch is -1, not a whole number from 0$/],
    ['beta2 of 1', (m) => (m.optimizer.beta2 = 1), /its meta's optimizer\.beta2 is 1, not a number from 0 to below 1$/],
    ['an unknown dtype', (m) => (m.dtype = 'float16'), /its meta's dtype is "float16", not one of float32, float64$/],
    ['a fractional step', (m) => (m.step = 1.5), /its meta's step is 1\.5, not a whole number from 0$/],
    ['both a config and a spec', (m) => (m.spec = { layers: [] }), /its meta has both a 'config' and a 'spec'; it needs exactly one$/],
    ['an empty config', (m) => (m.config = {}), /its meta's config\.conv1 is missing, not an object$/],
    ['a config of 0 filters', (m) => (m.config.conv1.filters = 0), /its meta's config\.conv1\.filters is 0, not a whole number from 1$/],
    ['a config whose kernel does not fit the images', (m) => (m.config.conv1.kernelHeight = 30), /its meta's network: kernel1 30x8 does not fit the 28x28 images/],
    ['a position past the epoch', (m) => (m.position.batch = 99999), /its meta's position\.batch is 99999, past the 2 steps of an epoch$/],
    // Another network's meta over the same parameters: they would be poured into the wrong places, or past the end.
    ['more filters than the parameters hold', (m) => (m.config.conv1.filters = 17), /its 'params' hold 9586 values, but its meta's network has 9779 parameters$/],
    ['fewer filters than the parameters hold', (m) => (m.config.conv2.filters = 4), /its 'params' hold 9586 values, but its meta's network has 5318 parameters$/],
    ['a data path that is not a string', (m) => (m.dataFlags.data = 5), /its meta's dataFlags\.data is 5, not a string$/],
    ['a channel layout of neither kind', (m) => (m.dataFlags.channelsLayout = 'middle'), /its meta's dataFlags\.channelsLayout is "middle", not one of first, last$/],
    ['a run of 0 epochs', (m) => (m.epochs = 0), /its meta's epochs is 0, not a whole number from 1$/],
    ['noise-scale sums without their weights', (m) => (m.noiseScale = { gradientSquaredSum: 1, traceSum: 1, batches: 1 }), /its meta's noiseScale\.gradientSquaredWeight is missing, not a whole number from 2$/],
    ['noise-scale sums that are not numbers', (m) => (m.noiseScale = { gradientSquaredSum: 'x', gradientSquaredWeight: 2, traceSum: 1, traceWeight: 1, batches: 1 }), /its meta's noiseScale\.gradientSquaredSum is "x", not a finite number$/],
    ['a version 2 noise scale that is not a number', (m) => ((m.version = 2), (m.noiseScale = { gradientSquaredSum: 'x', traceSum: 1, batches: 1 })), /its meta's noiseScale\.gradientSquaredSum is "x", not a finite number$/],
    ['private training without a clip', (m) => (m.privacy = { noise: 1, delta: 1e-5, accountant: 'rdp', sampling: 'poisson', secureNoise: false }), /its meta's privacy\.clip is missing, not a positive number$/],
  ];
  for (const [what, edit, message] of cases) {
    it.concurrent(what, async () => {
      const dir = await edited(checkpoint, edit);
      expectRefused(await runCliAsync(['train', '--resume', dir, '--epochs', '2']), new RegExp(`^shardtrain: ${join(dir, 'checkpoint.npz')}: ${message.source}`));
    });
  }

  it("a layer stack's spec whose kernel does not fit the images", async () => {
    const dir = join(fresh(), 'run');
    const r = runCli(['train', '--model', 'conv4k3,relu,flatten,dense', '--train-count', '120', '--test-count', '20', '--batch-size', '60', '--epochs', '1', '--threads', '1', '--checkpoint', dir]);
    expect(r.status, howItEnded(r)).toBe(0);
    const bad = await edited(await loadCheckpoint(dir), (m) => (m.spec.layers[0].kernel = [40, 40]));
    expectRefused(runCli(['train', '--resume', bad, '--epochs', '2']), /checkpoint\.npz: its meta's spec: layer 1 \(conv4k40\): the 40x40 kernel is larger than its 28x28 input/);
  });

  // A NaN parameter need never reach the loss (the kernels skip zero pixels): it would train on and be saved.
  const arrays: [string, (c: { params: Float32Array; m: Float32Array; v: Float32Array }) => void, RegExp][] = [
    ['a NaN parameter', (c) => (c.params[0] = NaN), /'params' holds NaN at 0, where parameters are finite$/],
    ["an infinite Adam moment", (c) => (c.m[5] = Infinity), /'adam_m' holds Infinity at 5, where the optimizer keeps finite values$/],
    ["a negative Adam second moment", (c) => (c.v[3] = -1), /'adam_v' holds -1 at 3, where the optimizer keeps finite values, none negative$/],
  ];
  for (const [what, edit, message] of arrays) {
    it.concurrent(what, async () => {
      const params = Float32Array.from(checkpoint.params);
      const [m, v] = [Float32Array.from(checkpoint.buffers.adam_m), Float32Array.from(checkpoint.buffers.adam_v)];
      edit({ params, m, v });
      const dir = await edited({ ...checkpoint, params, buffers: { adam_m: m, adam_v: v } }, () => {});
      expectRefused(await runCliAsync(['train', '--resume', dir, '--epochs', '2']), new RegExp(`^shardtrain: ${join(dir, 'checkpoint.npz')}: ${message.source}`));
    });
  }

  it("a checkpoint after an epoch's last step and before its evaluation: the epoch is evaluated, with no samples/s to report", async () => {
    const dir = await edited(checkpoint, (m) => (m.position = { epoch: 0, batch: 2, epochLossSum: 240, epochSamples: 120 }));
    const r = runCli(['train', '--resume', dir, '--epochs', '1', '--threads', '1']);
    expect(r.status, howItEnded(r)).toBe(0);
    expect(r.stdout).toMatch(/^epoch 1\/1  train loss 2\.0000  test loss \d\.\d{4}  test acc \d+\/20 \(.*\)  n\/a samples\/s  /m);
  });

  it('the same checkpoint unedited resumes', async () => {
    const dir = await edited(checkpoint, () => {});
    const r = runCli(['train', '--resume', dir, '--epochs', '2', '--threads', '1']);
    expect(r.status, howItEnded(r)).toBe(0);
  });
});
