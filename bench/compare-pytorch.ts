// shardtrain (wasm and TypeScript kernels) against PyTorch on this CPU, side by side in one run:
// steady-state training samples/s of the seed's network (or --model), float32, batch 100, on the
// embedded digits (or --data's training images, on both sides), at 1 and 2 threads. Runs alternate
// (shardtrain wasm, TypeScript, PyTorch, for each thread count, then again) so that machine noise
// hits all alike; each ratio is the median of the repeats' ratios (pairedRatio), so that drift
// between repeats cancels. With --dp both train privately (DP-SGD: Poisson sampling, per-sample
// clipping, noise, SGD with momentum; PyTorch's per-sample gradients by functorch's vmap), and the
// TypeScript kernels sit out.
// Each side's t threads run on the same t cores (pin-cores.ts; --pin no to let both use all).
//   npm run build && node dist/bench/compare-pytorch.js [--model opacus-mnist] [--data DIR] [--repeats 5] [--steps 200] [--ts-steps 10] [--warmup 100] [--dp yes] [--batch-size 100] [--pin no]
import { SEED_ADAM } from '../src/optim/adam.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median, pairedRatio } from '../src/util/median.js';
import { measureThroughput } from '../src/bench/measure-throughput.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEmbeddedMnist } from '../src/data/embedded-mnist.js';
import { loadDataset } from '../src/data/load-data.js';
import { writeNpz } from '../src/data/npz-write.js';
import type { KernelChoice } from '../src/kernels/index.js';
import { modelChoiceFrom } from '../src/cli/model-choice.js';
import { buildModel, seedAsStack } from '../src/model/model.js';
import { specToJson } from '../src/model/stack/index.js';
import { DEFAULT_TRAIN_OPTIONS, PRIVATE_TRAIN_DEFAULTS } from '../src/train/defaults.js';
import type { PrivacySettings } from '../src/privacy/privacy-settings.js';
import { coresFor, pinned, pinSelf } from '../src/bench/pin-cores.js';
import { readScriptFlags } from './script-flags.js';

const flags = readScriptFlags({
  url: import.meta.url,
  summary: "shardtrain's wasm and TypeScript kernels against PyTorch on this CPU: steady-state training samples/s of the seed's network (or --model), runs alternating, each side's t threads on the same t cores.",
  flags: {
    repeats: { default: '5', describe: 'alternating runs per contender and thread count (median and range reported)' },
    steps: { default: '200', describe: 'timed steps of shardtrain wasm and of PyTorch' },
    'ts-steps': { default: '10', describe: 'timed steps of the TypeScript kernels (about 50 times slower)' },
    warmup: { default: '100', describe: 'untimed steps first (the TypeScript kernels: as many as they time)' },
    threads: { default: '1,2', describe: 'thread counts, comma-separated' },
    model: { default: 'seed', describe: 'the network: a preset or the compact form, as train --model takes it' },
    dp: { default: 'no', describe: "'yes': private training on both sides (see above)" },
    'batch-size': { default: String(DEFAULT_TRAIN_OPTIONS.batchSize), describe: 'samples per step (with --dp: the expected batch is N/ceil(N/batch))' },
    data: { default: '', describe: "a --data path as train takes it (byte images), for both sides; '': the embedded digits" },
    pin: { default: 'yes', describe: "'yes': a run at t threads, on either side, gets the first t cores only (taskset); 'no': all of them" },
  },
});
const repeats = flags.integer('repeats', 1);
const steps = flags.integer('steps', 1);
const typescriptSteps = flags.integer('ts-steps', 1);
const threadCounts = flags.integers('threads', 1);
const warmup = flags.integer('warmup', 0);
const modelText = flags.text('model');
const privateTraining = flags.text('dp') === 'yes';
if (!['yes', 'no'].includes(flags.text('dp'))) flags.refuse(`--dp takes yes or no, got '${flags.text('dp')}'`);
const batchSize = flags.integer('batch-size', 1);
const dataPath = flags.text('data');
if (!['yes', 'no'].includes(flags.text('pin'))) flags.refuse(`--pin takes yes or no, got '${flags.text('pin')}'`);
const cores = (threads: number) => (flags.text('pin') === 'yes' ? coresFor(threads) : null);
const privacy: PrivacySettings = { ...PRIVATE_TRAIN_DEFAULTS.privacy, noise: 1 };
const sgd = PRIVATE_TRAIN_DEFAULTS.sgd;

/** The first python3 that imports torch (Debian's python3-torch lives under /usr/bin). */
function findTorchPython(): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    if (spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return python;
  }
  return null;
}

const torchScript = fileURLToPath(new URL('../../bench/torch_train_step.py', import.meta.url));
/**
 * glibc's malloc for PyTorch, so that a step's activations come from the heap rather than from
 * fresh pages every step: with the whole Fashion-MNIST training set in one tensor (188 MB) its
 * mmap threshold stays at 128 KiB, each activation is mapped, faulted in and unmapped again, and
 * PyTorch trained the seed's network at 2,400-3,100 samples/s instead of 16,000-18,500 (both
 * variables are needed: docs/experiments.md). A caching allocator, as PyTorch uses on GPUs and as
 * jemalloc or tcmalloc give on CPUs, behaves like this.
 */
const TORCH_ENV = { ...process.env, MALLOC_MMAP_THRESHOLD_: String(32 * 2 ** 20), MALLOC_TRIM_THRESHOLD_: String(2 ** 30) };

function pytorch(threads: number): number {
  const adam = SEED_ADAM;
  const setup = (
    privateTraining
      ? ['--batch-size', batchSize, '--dp', '--clip', privacy.clip, '--noise', privacy.noise, '--lr', sgd.lr, '--momentum', sgd.momentum]
      : ['--batch-size', batchSize, '--lr', adam.lr, '--beta1', adam.beta1, '--beta2', adam.beta2, '--eps', adam.eps]
  ).map(String);
  const data = torchData === null ? [] : ['--data-npz', torchData.path, '--divisor', String(dataset.train.divisor)];
  const [command, args] = pinned(cores(threads), python!, [torchScript, '--threads', String(threads), '--steps', String(steps), '--warmup', String(warmup), '--model-json', modelJson, ...setup, ...data]);
  const r = spawnSync(command, args, { encoding: 'utf8', env: TORCH_ENV });
  if (r.status !== 0) throw new Error(`PyTorch run failed: ${r.stderr}`);
  return JSON.parse(r.stdout).samplesPerSec as number;
}

const dataset = dataPath === '' ? loadEmbeddedMnist() : await loadDataset({ path: dataPath });
const { channels, height, width } = dataset.train;
const choice = modelChoiceFrom({ model: modelText });
const model = buildModel(choice, { input: [channels, height, width], classes: dataset.classes });
// PyTorch builds the same layers from the same JSON that train --save writes.
const modelJson = JSON.stringify(specToJson(model.kind === 'seed' ? seedAsStack(model.config) : model.spec));
// Looked for once the flags, data and model are known good: importing torch takes a second or more.
const python = findTorchPython();
if (python === null) process.stderr.write('PyTorch not found (apt-get install python3-torch): comparing shardtrain only\n');
/** --data's training images for PyTorch, in a temporary .npz that goes when the comparison ends. */
const torchData = dataPath === '' || python === null ? null : await writeTorchData();
async function writeTorchData(): Promise<{ path: string }> {
  const { pixels, labels, count } = dataset.train;
  if (!(pixels instanceof Uint8Array)) throw new Error(`${dataPath}: the PyTorch side takes byte images, these are ${pixels.constructor.name}`);
  const dir = mkdtempSync(join(tmpdir(), 'shardtrain-compare-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'train.npz');
  await writeNpz(path, { x: { data: pixels, shape: [count, channels, height, width] }, y: { data: labels, shape: [count] } });
  return { path };
}
/**
 * A fresh trainer's rate after `warmup` steps. A fresh two-thread pool takes some tens of steps to
 * reach its pace (opacus-mnist on the digits, 2026-12-03: 26,494 samples/s after 10 untimed steps,
 * 27,578 after 100, PyTorch alike after either), so the default warm-up is 100 steps.
 */
async function shardtrain(threads: number, kernels: KernelChoice, timedSteps: number, seed: number): Promise<number> {
  const common = { ...DEFAULT_TRAIN_OPTIONS, model: choice, kernels, epochs: 1, dropLast: true, threads, seed, batchSize };
  const options = privateTraining ? { ...common, privacy, optimizer: { kind: 'sgd' as const, ...sgd } } : common;
  const untimed = kernels === 'typescript' ? Math.min(warmup, timedSteps) : warmup;
  pinSelf(cores(threads));
  try {
    return (await measureThroughput(dataset, options, untimed, timedSteps)).samplesPerSec;
  } finally {
    pinSelf(null);
  }
}

type Contender = 'shardtrain wasm' | 'shardtrain TypeScript' | 'PyTorch';
const results = new Map<string, number[]>();
const record = (who: Contender, threads: number, rate: number) => {
  const key = `${who}@${threads}`;
  results.set(key, [...(results.get(key) ?? []), rate]);
  process.stderr.write(`${who}, ${threads} thread(s): ${rate.toFixed(0)} samples/s\n`);
};

for (let r = 0; r < repeats; r++) {
  for (const threads of r % 2 === 0 ? threadCounts : [...threadCounts].reverse()) {
    record('shardtrain wasm', threads, await shardtrain(threads, 'wasm', steps, r));
    if (!privateTraining) record('shardtrain TypeScript', threads, await shardtrain(threads, 'typescript', typescriptSteps, r));
    if (python !== null) record('PyTorch', threads, pytorch(threads));
  }
}

const med = (who: Contender, t: number) => median(results.get(`${who}@${t}`) ?? [NaN]);
/** Run r of `a` at `ta` threads over run r of `b` at `tb`, the median over the repeats. */
const ratio = (a: Contender, ta: number, b: Contender, tb: number) => pairedRatio(results.get(`${a}@${ta}`)!, results.get(`${b}@${tb}`)!);
const kind = privateTraining ? 'private (DP-SGD)' : 'ordinary';
const where = threadCounts.map((t) => (cores(t) === null ? `${t}: unpinned` : `${t}: cores ${cores(t)}`)).join(', ');
console.log(`\nsteady-state ${kind} training samples/s, ${modelText}, float32, batch ${batchSize}, ${dataset.source}; median and range of ${repeats} alternating runs; threads on both sides (${where})`);
console.log(`${'contender'.padEnd(24)} ${threadCounts.map((t) => `${t} thread(s)`.padStart(26)).join(' ')}`);
for (const who of ['shardtrain wasm', 'shardtrain TypeScript', 'PyTorch'] as Contender[]) {
  if (!results.has(`${who}@${threadCounts[0]}`)) continue;
  const cells = threadCounts.map((t) => {
    const runs = results.get(`${who}@${t}`)!;
    return `${med(who, t).toFixed(0)} (${Math.min(...runs).toFixed(0)}-${Math.max(...runs).toFixed(0)})`.padStart(26);
  });
  console.log(`${who.padEnd(24)} ${cells.join(' ')}`);
}
console.log('');
for (const t of threadCounts) {
  if (python !== null) console.log(`${t} thread(s): shardtrain wasm / PyTorch = ${ratio('shardtrain wasm', t, 'PyTorch', t).toFixed(2)}x`);
}
if (threadCounts.length > 1) {
  const [a, b] = [threadCounts[0], threadCounts[threadCounts.length - 1]];
  console.log(`shardtrain wasm, ${b} threads / ${a}: ${ratio('shardtrain wasm', b, 'shardtrain wasm', a).toFixed(2)}x`);
  if (python !== null) console.log(`PyTorch, ${b} threads / ${a}: ${ratio('PyTorch', b, 'PyTorch', a).toFixed(2)}x`);
  if (!privateTraining) console.log(`shardtrain wasm / TypeScript at ${a} thread(s): ${ratio('shardtrain wasm', a, 'shardtrain TypeScript', a).toFixed(1)}x`);
}
