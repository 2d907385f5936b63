// What a trainer's access pattern adds to the bare per-sample kernel, on one thread: the kernel
// over the training images in file order into one slot (as kernel-phases times it), in an epoch's
// shuffled order, into a batch's worth of slots in turn (as a pool thread writes them), and both.
// The seed's network at its initial weights; microseconds per sample, alternating the four, the
// median (or min) of --runs.
//   npm run build && taskset -c 0 node dist/bench/research/sample-order.js [--data DIR] [--samples 3000] [--runs 7]
import { loadEmbeddedMnist } from '../../src/data/embedded-mnist.js';
import { loadDataset } from '../../src/data/load-data.js';
import { deriveDims, SEED_MODEL } from '../../src/model/config.js';
import { initParameters } from '../../src/model/init.js';
import { parameterLayout } from '../../src/model/parameters.js';
import { createRandomStreams } from '../../src/rng/streams.js';
import { DEFAULT_TRAIN_OPTIONS } from '../../src/train/defaults.js';
import { median } from '../../src/util/median.js';
import { allocFloat32, createWasmBackend, WasmNetwork } from '../../src/kernels/wasm/index.js';
import { readScriptFlags } from '../script-flags.js';

const flags = readScriptFlags({
  url: import.meta.url,
  summary: "What the trainer's access pattern (shuffled images, a batch of slots) adds to the bare per-sample kernel on one thread.",
  flags: {
    data: { default: '', describe: "a dataset as train --data takes it; '': the embedded digits" },
    samples: { default: '3000', describe: 'samples timed per run and pattern' },
    runs: { default: '7', describe: 'timed runs, after one untimed' },
    batch: { default: String(DEFAULT_TRAIN_OPTIONS.batchSize), describe: 'slots written in turn' },
    stat: { default: 'median', describe: 'median or min' },
  },
});
const DATA = flags.text('data');
const SAMPLES = flags.integer('samples', 1);
const RUNS = flags.integer('runs', 1);
const BATCH = flags.integer('batch', 1);
const STAT = flags.text('stat');
if (STAT !== 'median' && STAT !== 'min') flags.refuse(`--stat takes median or min, got '${STAT}'`);

const dataset = DATA === '' ? loadEmbeddedMnist() : await loadDataset({ path: DATA });
const train = dataset.train;
if (SAMPLES > train.count) flags.refuse(`--samples ${SAMPLES}: the data have ${train.count} training images`);
const dims = deriveDims({ ...SEED_MODEL, imageHeight: train.height, imageWidth: train.width, classes: dataset.classes });
const layout = parameterLayout(dims);
const backend = await createWasmBackend();
const params = allocFloat32(backend.memory, layout.total);
const streams = createRandomStreams(DEFAULT_TRAIN_OPTIONS.rng, DEFAULT_TRAIN_OPTIONS.seed);
const init = new Float32Array(layout.total);
initParameters(init, layout, dims, streams);
params.set(init);
const net = WasmNetwork.create(backend, dims);
net.prepare(params);
const slotLength = net.slots.length;
const slots = allocFloat32(backend.memory, BATCH * slotLength);
const shuffled = streams.epochPermutation(0, train.count);

const patterns: [string, (i: number) => number, (i: number) => number][] = [
  ['file order, one slot', (i) => i, () => 0],
  ['shuffled, one slot', (i) => shuffled[i], () => 0],
  [`file order, ${BATCH} slots`, (i) => i, (i) => i % BATCH],
  [`shuffled, ${BATCH} slots`, (i) => shuffled[i], (i) => i % BATCH],
];
const times = patterns.map(() => [] as number[]);
for (let r = 0; r <= RUNS; r++) {
  patterns.forEach(([, image, slot], p) => {
    const started = performance.now();
    for (let i = 0; i < SAMPLES; i++) {
      const at = slot(i) * slotLength;
      net.sampleGradient(params, train, image(i), train.labels[image(i)], slots.subarray(at, at + slotLength));
    }
    // The first run warms the JIT and the caches up and is not counted.
    if (r > 0) times[p].push(((performance.now() - started) * 1000) / SAMPLES);
  });
}
console.log(`us per sample, ${STAT} of ${RUNS} runs of ${SAMPLES} samples (${DATA === '' ? 'embedded digits' : DATA}):`);
patterns.forEach(([name], p) => {
  const value = STAT === 'min' ? Math.min(...times[p]) : median(times[p]);
  console.log(`  ${name.padEnd(24)} ${value.toFixed(1)}`);
});
