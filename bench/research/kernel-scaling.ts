// How much the cores themselves give when more threads run the kernel: the per-sample wasm
// forward+backward, with nothing shared and nothing to coordinate (each thread has its own wasm
// memory, weights, data and slot), timed on one thread alone and then on --threads at once,
// alternately. The trainer's speedup cannot beat this ratio; what it loses below it is the
// coordination's cost, what this ratio loses below the thread count is the machine's (shared
// caches, clocks, the hypervisor).
//   npm run build && node dist/bench/research/kernel-scaling.js [--threads 2] [--runs 5] [--seconds 1]
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { median } from '../../src/util/median.js';
import { loadEmbeddedMnist } from '../../src/data/embedded-mnist.js';
import { allocFloat32, createWasmBackend, WasmNetwork } from '../../src/kernels/wasm/index.js';
import { deriveDims, SEED_MODEL } from '../../src/model/config.js';
import { initParameters } from '../../src/model/init.js';
import { parameterLayout } from '../../src/model/parameters.js';
import { createRandomStreams } from '../../src/rng/streams.js';
import { DEFAULT_TRAIN_OPTIONS } from '../../src/train/defaults.js';
import { readScriptFlags } from '../script-flags.js';

interface Measure {
  readonly ms: number;
}

if (isMainThread) await main();
else await kernelThread();

async function main(): Promise<void> {
  const flags = readScriptFlags({
    url: import.meta.url,
    summary: 'What the cores give: samples/s of the bare wasm kernel on one thread, then on --threads at once.',
    flags: {
      threads: { default: '2', describe: 'threads run together, against one alone' },
      runs: { default: '5', describe: 'alternating runs (median and range reported)' },
      seconds: { default: '1', describe: 'length of each run' },
    },
  });
  const threads = flags.integer('threads', 2);
  const runs = flags.integer('runs', 1);
  const ms = flags.number('seconds', 0) * 1000;

  const workers = await Promise.all(Array.from({ length: threads }, () => startKernelThread()));
  const measure = (count: number, duration: number) => Promise.all(workers.slice(0, count).map((w) => w.measure({ ms: duration })));
  await measure(threads, ms / 2); // warm-up: V8 tiers the wasm up during the first calls

  const alone: number[] = [];
  const together: number[] = [];
  for (let r = 0; r < runs; r++) {
    const [solo] = await measure(1, ms);
    const all = await measure(threads, ms);
    const sum = all.reduce((a, b) => a + b, 0);
    alone.push(solo);
    together.push(sum);
    const each = all.map((x) => x.toFixed(0)).join(' + ');
    process.stderr.write(`run ${r + 1}: 1 thread ${solo.toFixed(0)} samples/s; ${threads} threads ${each} = ${sum.toFixed(0)} (${(sum / solo).toFixed(2)}x)\n`);
  }
  const ratios = together.map((t, i) => t / alone[i]);
  console.log(`wasm kernel alone, per-sample forward+backward, median of ${runs} alternating runs of ${ms / 1000} s:`);
  console.log(`  1 thread:   ${median(alone).toFixed(0)} samples/s (${Math.min(...alone).toFixed(0)}-${Math.max(...alone).toFixed(0)})`);
  console.log(`  ${threads} threads:  ${median(together).toFixed(0)} samples/s (${Math.min(...together).toFixed(0)}-${Math.max(...together).toFixed(0)})`);
  console.log(`  ${threads} threads / 1: ${median(ratios).toFixed(2)}x (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`);
  await Promise.all(workers.map((w) => w.stop()));
}

/** A thread of this file, answering each Measure with the samples/s it ran. */
async function startKernelThread(): Promise<{ measure(m: Measure): Promise<number>; stop(): Promise<number> }> {
  const worker = new Worker(new URL(import.meta.url));
  const waiting: { resolve(value: number): void; reject(e: unknown): void }[] = [];
  worker.on('message', (value: number) => waiting.shift()?.resolve(value));
  worker.on('error', (e) => waiting.splice(0).forEach((w) => w.reject(e)));
  const reply = () => new Promise<number>((resolve, reject) => waiting.push({ resolve, reject }));
  await reply(); // loaded and compiled
  return {
    measure(m) {
      const answer = reply();
      worker.postMessage(m);
      return answer;
    },
    stop: () => worker.terminate(),
  };
}

async function kernelThread(): Promise<void> {
  const dataset = loadEmbeddedMnist();
  const train = dataset.train;
  const dims = deriveDims({ ...SEED_MODEL, imageHeight: train.height, imageWidth: train.width, classes: dataset.classes });
  const layout = parameterLayout(dims);
  const backend = await createWasmBackend();
  const params = allocFloat32(backend.memory, layout.total);
  initParameters(params, layout, dims, createRandomStreams(DEFAULT_TRAIN_OPTIONS.rng, DEFAULT_TRAIN_OPTIONS.seed));
  const slot = allocFloat32(backend.memory, layout.total);
  const net = WasmNetwork.create(backend, dims);
  net.prepare(params);
  let next = 0;
  parentPort!.on('message', ({ ms }: Measure) => {
    const started = performance.now();
    let samples = 0;
    let now = started;
    for (; now - started < ms; now = performance.now()) {
      for (let i = 0; i < 20; i++, samples++, next = (next + 1) % train.count) {
        net.sampleGradient(params, train, next, train.labels[next], slot);
      }
    }
    parentPort!.postMessage((samples * 1000) / (now - started));
  });
  parentPort!.postMessage(0);
}
