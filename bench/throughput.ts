// Steady-state training samples/s on the embedded MNIST digits at 1 and 2 threads, float32,
// batch 100, for each kind of kernels. Runs alternate within each repeat so that machine noise
// hits all alike.
//   npm run bench -- [--repeats 3] [--steps 30] [--warmup 5] [--threads 1,2] [--kernels wasm,typescript]
import { parseArgs } from 'node:util';
import { median } from '../src/bench/median.js';
import { measureThroughput } from '../src/bench/measure-throughput.js';
import { loadEmbeddedMnist } from '../src/data/embedded-mnist.js';
import { SEED_MODEL } from '../src/model/config.js';
import type { Dtype } from '../src/model/float-array.js';
import { SEED_ADAM } from '../src/optim/adam.js';
import type { KernelChoice } from '../src/parallel/kernel-choice.js';

const { values } = parseArgs({
  options: {
    repeats: { type: 'string', default: '3' },
    steps: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
    threads: { type: 'string', default: '1,2' },
    dtype: { type: 'string', default: 'float32' },
    kernels: { type: 'string', default: 'wasm,typescript' },
  },
});
const kernelKinds = values.kernels.split(',') as KernelChoice[];
const repeats = Number(values.repeats);
const threadCounts = values.threads.split(',').map(Number);
const dataset = loadEmbeddedMnist();
const results = new Map<string, number[]>();
const key = (kernels: string, threads: number) => `${kernels}@${threads}`;

for (let r = 0; r < repeats; r++) {
  for (const kernels of kernelKinds) {
    for (const threads of r % 2 === 0 ? threadCounts : [...threadCounts].reverse()) {
      const options = { model: SEED_MODEL, dtype: values.dtype as Dtype, kernels, epochs: 1, batchSize: 100, dropLast: true, threads, adam: SEED_ADAM, rng: 'shardtrain' as const, seed: r };
      const run = await measureThroughput(dataset, options, Number(values.warmup), Number(values.steps));
      results.set(key(kernels, threads), [...(results.get(key(kernels, threads)) ?? []), run.samplesPerSec]);
      process.stderr.write(`repeat ${r + 1}/${repeats}, ${run.kernels}, ${threads} thread(s): ${run.samplesPerSec.toFixed(0)} samples/s\n`);
    }
  }
}

console.log(`\nsteady-state training throughput, ${values.dtype}, batch 100, ${values.steps} steps after ${values.warmup} warm-up, median of ${repeats}`);
console.log('kernels     threads  samples/s (median)  min     max     speedup');
for (const kernels of kernelKinds) {
  const base = median(results.get(key(kernels, threadCounts[0]))!);
  for (const t of threadCounts) {
    const runs = results.get(key(kernels, t))!;
    const m = median(runs);
    console.log(
      `${kernels.padEnd(10)}  ${String(t).padStart(7)}  ${m.toFixed(0).padStart(18)}  ${Math.min(...runs).toFixed(0).padStart(6)}  ${Math.max(...runs).toFixed(0).padStart(6)}  ${(m / base).toFixed(2)}x`,
    );
  }
}
