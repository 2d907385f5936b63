// Where one sample's time goes: microseconds per sample of each phase of the forward and backward
// pass, per batch of the main thread's averaging and Adam, and single-thread samples/s of the whole
// sampleGradient, for the wasm kernels (relaxed-SIMD FMA and plain SIMD) and the TypeScript
// reference in float32. Real embedded MNIST digits (or --data, such as Fashion-MNIST's half-nonzero
// images), with weights after --train-epochs of training (so the ReLU zeros the kernels skip are as
// many as in a real run). Median of --runs.
//   npm run build && node dist/bench/research/kernel-phases.js [--samples 2000] [--runs 7] [--train-epochs 1] [--stat median|min] [--data DIR]
import { median } from '../../src/util/median.js';
import { loadEmbeddedMnist } from '../../src/data/embedded-mnist.js';
import { loadDataset } from '../../src/data/load-data.js';
import { deriveDims, SEED_MODEL } from '../../src/model/config.js';
import { conv2dBackward, conv2dForward } from '../../src/model/conv2d.js';
import { denseBackward, denseForward } from '../../src/model/dense.js';
import { initParameters } from '../../src/model/init.js';
import { Network } from '../../src/model/network.js';
import { parameterLayout, parameterViews, seedSlotLayout } from '../../src/model/parameters.js';
import { reluBackward, reluForward } from '../../src/model/relu.js';
import { softmaxCrossEntropy } from '../../src/model/softmax-cross-entropy.js';
import { Adam, SEED_ADAM } from '../../src/optim/adam.js';
import { averageSlots } from '../../src/optim/average-slots.js';
import { DEFAULT_TRAIN_OPTIONS } from '../../src/train/defaults.js';
import { readScriptFlags } from '../script-flags.js';
import { trainedParameters } from './phase-inputs.js';
import {
  allocFloat32,
  createWasmBackend,
  type WasmBackend,
  WasmAdam,
  WasmSlotSum,
  WasmNetwork,
  type WasmSimd,
} from '../../src/kernels/wasm/index.js';

const flags = readScriptFlags({
  url: import.meta.url,
  summary: "Where one sample's time goes: microseconds per phase of the forward and backward pass, per batch of the slot sum and Adam, and single-thread samples/s, for each wasm variant and the TypeScript reference.",
  flags: {
    samples: { default: '2000', describe: 'training images timed per run' },
    runs: { default: '7', describe: 'timed runs, after one untimed' },
    'train-epochs': { default: '1', describe: "epochs of training before timing, so that the ReLU zeros are a real run's" },
    batch: { default: String(DEFAULT_TRAIN_OPTIONS.batchSize), describe: 'slots per batch, for the training and the slot sum' },
    stat: { default: 'median', describe: 'median or min (min: steadier on a shared machine, for A/B of one kernel)' },
    data: { default: '', describe: 'a dataset to time instead of the embedded digits (as train --data takes)' },
  },
});
const SAMPLES = flags.integer('samples', 1);
const RUNS = flags.integer('runs', 1);
const BATCH = flags.integer('batch', 1);
const TRAIN_EPOCHS = flags.integer('train-epochs', 0);
const STAT = flags.text('stat');
if (STAT !== 'median' && STAT !== 'min') flags.refuse(`--stat takes median or min, got '${STAT}'`);
const PHASES = ['input', 'conv1 fwd', 'conv2 fwd', 'dense fwd', 'loss', 'dense bwd', 'conv2 bwd', 'conv1 bwd'] as const;
type Phase = (typeof PHASES)[number];

const best = (xs: number[], higherIsBetter = false) =>
  STAT === 'min' ? (higherIsBetter ? Math.max(...xs) : Math.min(...xs)) : median(xs);

const DATA = flags.text('data');
const dataset = DATA === '' ? loadEmbeddedMnist() : await loadDataset({ path: DATA });
const train = dataset.train;
if (SAMPLES > train.count) flags.refuse(`--samples ${SAMPLES}: the data have ${train.count} training images`);
const dims = deriveDims({ ...SEED_MODEL, imageHeight: train.height, imageWidth: train.width, classes: dataset.classes });
const layout = parameterLayout(dims);
const trained = trainedParameters(
  await createWasmBackend(),
  {
    parameters: layout.total,
    init: (params, normals) => initParameters(params, layout, dims, normals),
    kernels: (backend) => WasmNetwork.create(backend, dims),
  },
  train,
  TRAIN_EPOCHS,
  BATCH,
);

/** Per-phase µs per sample of the wasm kernels, timed inline sample by sample as sampleGradient runs them. */
function wasmPhases(backend: WasmBackend): Record<Phase, number> {
  const net = WasmNetwork.create(backend, dims);
  const params = allocFloat32(backend.memory, layout.total);
  params.set(trained);
  net.prepare(params);
  const slot = allocFloat32(backend.memory, layout.total);
  const k = net.kernels;
  const c = net.configAddress;
  const p = params.byteOffset;
  const s = slot.byteOffset;
  return timePhases((i, t) => {
    t[0] = performance.now();
    net.loadInput(train, i);
    t[1] = performance.now();
    k.conv1Forward(c);
    t[2] = performance.now();
    k.conv2Forward(c);
    t[3] = performance.now();
    k.denseForward(c, p);
    t[4] = performance.now();
    net.loss(train.labels[i]);
    t[5] = performance.now();
    k.denseBackward(c, p, s);
    t[6] = performance.now();
    k.conv2Backward(c, s);
    t[7] = performance.now();
    k.conv1Backward(c, s);
    t[8] = performance.now();
  });
}

/** The same phases of model/network.ts, its layer functions called as Network calls them. */
function typescriptPhases(): { phases: Record<Phase, number>; zeros: Record<string, number> } {
  const { conv1: c1, conv2: c2, denseIn, classes } = dims;
  const P = parameterViews(trained, layout);
  const grad = new Float32Array(layout.total);
  const g = parameterViews(grad, layout);
  const x = new Float32Array(c1.H * c1.W);
  const a1 = new Float32Array(c1.F * c1.OH * c1.OW);
  const a2 = new Float32Array(denseIn);
  const logits = new Float32Array(classes);
  const dlogits = new Float32Array(classes);
  const da2 = new Float32Array(denseIn);
  const da1 = new Float32Array(a1.length);
  const zeroCount = { pixels: 0, a1: 0, a2: 0, da2: 0, samples: 0 };
  const count = (a: Float32Array) => a.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);
  const phases = timePhases((i, t) => {
    t[0] = performance.now();
    const base = i * x.length;
    for (let j = 0; j < x.length; j++) x[j] = train.pixels[base + j] / train.divisor;
    t[1] = performance.now();
    conv2dForward(a1, x, P.kern, P.kb, c1);
    reluForward(a1, a1, a1.length);
    t[2] = performance.now();
    conv2dForward(a2, a1, P.kern2, P.kb2, c2);
    reluForward(a2, a2, a2.length);
    t[3] = performance.now();
    denseForward(logits, a2, P.w, P.b, denseIn, classes);
    t[4] = performance.now();
    softmaxCrossEntropy(dlogits, logits, train.labels[i], classes);
    grad.fill(0);
    t[5] = performance.now();
    denseBackward(da2, g.w, g.b, dlogits, a2, P.w, denseIn, classes);
    reluBackward(da2, da2, a2, a2.length);
    t[6] = performance.now();
    da1.fill(0);
    conv2dBackward(da1, g.kern2, g.kb2, da2, a1, P.kern2, c2);
    t[7] = performance.now();
    reluBackward(da1, da1, a1, a1.length);
    conv2dBackward(null, g.kern, g.kb, da1, x, P.kern, c1);
    t[8] = performance.now();
    zeroCount.pixels += count(x);
    zeroCount.a1 += count(a1);
    zeroCount.a2 += count(a2);
    zeroCount.da2 += count(da2);
    zeroCount.samples++;
  }, 1);
  const n = zeroCount.samples;
  const zeros = {
    'pixels == 0': zeroCount.pixels / (n * x.length),
    'relu(conv1) == 0': zeroCount.a1 / (n * a1.length),
    'relu(conv2) == 0': zeroCount.a2 / (n * a2.length),
    'grad of conv2 out == 0': zeroCount.da2 / (n * da2.length),
  };
  return { phases, zeros };
}

/** Median over runs of the mean µs per sample of each phase; `sample` stamps 9 times into t. */
function timePhases(sample: (index: number, t: Float64Array) => void, runs = RUNS): Record<Phase, number> {
  const t = new Float64Array(PHASES.length + 1);
  const perRun: number[][] = PHASES.map(() => []);
  for (let r = 0; r < runs + 1; r++) {
    const sums = new Float64Array(PHASES.length);
    for (let i = 0; i < SAMPLES; i++) {
      sample(i, t);
      for (let q = 0; q < PHASES.length; q++) sums[q] += t[q + 1] - t[q];
    }
    // The first run warms the JIT up and is not counted.
    if (r > 0) for (let q = 0; q < PHASES.length; q++) perRun[q].push((sums[q] * 1000) / SAMPLES);
  }
  return Object.fromEntries(PHASES.map((name, q) => [name, best(perRun[q])])) as Record<Phase, number>;
}

/** Single-thread samples/s of whole sampleGradient calls, median of runs. */
function samplesPerSec(run: (index: number) => void): number {
  const rates: number[] = [];
  for (let r = 0; r < RUNS + 1; r++) {
    const started = performance.now();
    for (let i = 0; i < SAMPLES; i++) run(i);
    const rate = SAMPLES / ((performance.now() - started) / 1000);
    if (r > 0) rates.push(rate);
  }
  return best(rates, true);
}

function wasmThroughput(backend: WasmBackend): number {
  const net = WasmNetwork.create(backend, dims);
  const params = allocFloat32(backend.memory, layout.total);
  params.set(trained);
  net.prepare(params);
  const slot = allocFloat32(backend.memory, layout.total);
  return samplesPerSec((i) => net.sampleGradient(params, train, i, train.labels[i], slot));
}

function typescriptThroughput(): number {
  const net = new Network(dims, 'float32');
  const grad = new Float32Array(layout.total);
  return samplesPerSec((i) => net.sampleGradient(trained, train, i, train.labels[i], grad));
}

/** µs per batch of BATCH slots: averaging and one Adam update. */
function optimizerTimes(backend: WasmBackend | null): { average: number; adam: number } {
  const n = layout.total;
  const slotLayout = seedSlotLayout(layout);
  const fill = (a: Float32Array) => {
    for (let i = 0; i < a.length; i++) a[i] = Math.sin(i) * 1e-3;
  };
  const time = (f: () => void) => {
    const xs: number[] = [];
    for (let r = 0; r < 10 * RUNS + 5; r++) {
      const started = performance.now();
      f();
      if (r >= 5) xs.push((performance.now() - started) * 1000);
    }
    return best(xs);
  };
  if (backend === null) {
    const slots = new Float32Array(BATCH * slotLayout.length);
    fill(slots);
    const mean = new Float32Array(n);
    const sum = new Float64Array(n);
    const params = Float32Array.from(trained);
    const adam = new Adam(SEED_ADAM, 'float32', n);
    return { average: time(() => averageSlots(mean, slots, slotLayout, BATCH, sum)), adam: time(() => adam.update(params, mean)) };
  }
  const slots = allocFloat32(backend.memory, BATCH * slotLayout.length);
  fill(slots);
  const mean = allocFloat32(backend.memory, n);
  const params = allocFloat32(backend.memory, n);
  params.set(trained);
  const adam = new WasmAdam(backend, SEED_ADAM, n);
  const slotSum = new WasmSlotSum(backend, slots, slotLayout);
  const average = () => {
    slotSum.add(0, BATCH);
    slotSum.finish(mean, BATCH);
  };
  return { average: time(average), adam: time(() => adam.update(params, mean)) };
}

const columns: { name: string; phases: Record<Phase, number>; perSec: number; average: number; adam: number }[] = [];
for (const simd of ['relaxed-simd-fma', 'simd'] as WasmSimd[]) {
  const backend = await createWasmBackend({ simd });
  if (backend.simd !== simd) continue;
  columns.push({ name: `wasm ${simd}`, phases: wasmPhases(backend), perSec: wasmThroughput(backend), ...optimizerTimes(backend) });
}
const ts = typescriptPhases();
columns.push({ name: 'TypeScript', phases: ts.phases, perSec: typescriptThroughput(), ...optimizerTimes(null) });

console.log(`\n${dims.multiplyAddsPerSample.toLocaleString('en-US')} multiply-adds per sample if dense; ${SAMPLES} training images, ${STAT} of ${RUNS} runs`);
console.log('exact zeros (TypeScript pass):', Object.fromEntries(Object.entries(ts.zeros).map(([k, v]) => [k, `${(v * 100).toFixed(1)}%`])));
const cell = (v: number) => v.toFixed(2).padStart(10);
console.log(`\n| µs per sample     | ${columns.map((c) => c.name.padStart(21)).join(' | ')} |`);
console.log(`|-------------------|${columns.map(() => '-'.repeat(23)).join('|')}|`);
for (const phase of PHASES) console.log(`| ${phase.padEnd(17)} | ${columns.map((c) => cell(c.phases[phase]).padStart(21)).join(' | ')} |`);
const sum = (c: (typeof columns)[number]) => PHASES.reduce((a, q) => a + c.phases[q], 0);
console.log(`| sum of phases     | ${columns.map((c) => cell(sum(c)).padStart(21)).join(' | ')} |`);
console.log(`| sampleGradient/s  | ${columns.map((c) => c.perSec.toFixed(0).padStart(21)).join(' | ')} |`);
console.log(`| ${`µs per batch ${BATCH}`.padEnd(17)} |${columns.map(() => ' '.repeat(23)).join('|')}|`);
console.log(`| average slots     | ${columns.map((c) => cell(c.average).padStart(21)).join(' | ')} |`);
console.log(`| Adam update       | ${columns.map((c) => cell(c.adam).padStart(21)).join(' | ')} |`);
