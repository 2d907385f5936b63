import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../src/data/dataset.js';
import { loadEmbeddedMnist } from '../src/data/embedded-mnist.js';
import { allocFloat32, createWasmBackend, type WasmBackend, type WasmSimd, WasmNetwork } from '../src/kernels/wasm/index.js';
import { deriveDims, SEED_MODEL } from '../src/model/config.js';
import { initParameters } from '../src/model/init.js';
import { parameterLayout } from '../src/model/parameters.js';
import { createRandomStreams } from '../src/rng/streams.js';

// The worker runs the compiled API, as the pool's workers do (npx tsc -p tsconfig.json first).
const DIST_API = new URL('../dist/src/kernels/wasm/index.js', import.meta.url);
const SAMPLES = 12;

let dataset: Dataset;
const dims = deriveDims({ ...SEED_MODEL, imageHeight: 28, imageWidth: 28, classes: 10 });
const n = parameterLayout(dims).total;
const backends = new Map<WasmSimd, WasmBackend>();

beforeAll(async () => {
  dataset = loadEmbeddedMnist();
  backends.set('simd', await createWasmBackend({ simd: 'simd' }));
  const auto = await createWasmBackend();
  if (auto.simd === 'relaxed-simd-fma') backends.set(auto.simd, auto);
});

function seedParameters(backend: WasmBackend): Float32Array {
  const params = allocFloat32(backend.memory, n);
  initParameters(params, parameterLayout(dims), dims, createRandomStreams('shardtrain', 3));
  return params;
}

/** Per-sample gradients of the first SAMPLES training images, visited in `order`, into consecutive slots. */
function gradients(net: WasmNetwork, params: Float32Array, slots: Float32Array, order: number[]): number[] {
  net.prepare(params);
  const losses: number[] = [];
  for (const i of order) {
    losses[i] = net.sampleGradient(params, dataset.train, i, dataset.train.labels[i], slots.subarray(i * n, (i + 1) * n));
  }
  return losses;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((bits, i) => bits === y[i]);
}

describe.each(['relaxed-simd-fma', 'simd'] as WasmSimd[])('wasm %s: same inputs, same bits', (variant) => {
  it(`two instances, samples in opposite orders (no state leaks from one sample to the next), x=[28,28] seed model`, (ctx) => {
    const backend = backends.get(variant);
    if (!backend) return ctx.skip();
    const params = seedParameters(backend);
    const forward = Array.from({ length: SAMPLES }, (_, i) => i);
    const a = allocFloat32(backend.memory, SAMPLES * n);
    const b = allocFloat32(backend.memory, SAMPLES * n);
    const lossA = gradients(WasmNetwork.create(backend, dims), params, a, forward);
    const lossB = gradients(WasmNetwork.create(backend, dims), params, b, [...forward].reverse());
    expect(lossB).toEqual(lossA);
    expect(sameBits(a, b)).toBe(true);
  });

  it('an instance in a worker thread, given the module, memory and views by postMessage', async (ctx) => {
    const backend = backends.get(variant);
    if (!backend) return ctx.skip();
    const api = fileURLToPath(DIST_API);
    if (!existsSync(api)) throw new Error(`${api} is missing: run \`npx tsc -p tsconfig.json\` first`);
    const params = seedParameters(backend);
    const mine = allocFloat32(backend.memory, SAMPLES * n);
    const theirs = allocFloat32(backend.memory, SAMPLES * n);
    const order = Array.from({ length: SAMPLES }, (_, i) => i);
    const losses = gradients(WasmNetwork.create(backend, dims), params, mine, order);
    const code = `
      const { parentPort, workerData: d } = require('node:worker_threads');
      import(d.api).then(({ WasmNetwork }) => {
        const net = WasmNetwork.create({ memory: d.memory, module: d.module }, d.dims);
        net.prepare(d.params);
        const losses = [];
        for (let i = 0; i < d.samples; i++) {
          losses.push(net.sampleGradient(d.params, d.train, i, d.train.labels[i], d.slots.subarray(i * d.n, (i + 1) * d.n)));
        }
        parentPort.postMessage(losses);
      }, (e) => parentPort.postMessage(String(e && e.stack || e)));`;
    const worker = new Worker(code, {
      eval: true,
      workerData: {
        api: DIST_API.href,
        memory: backend.memory,
        module: backend.module,
        dims,
        n,
        samples: SAMPLES,
        params,
        slots: theirs,
        train: { pixels: dataset.train.pixels, labels: dataset.train.labels, divisor: dataset.train.divisor },
      },
    });
    const reply = await new Promise<unknown>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(reply).toEqual(losses);
    expect(sameBits(theirs, mine)).toBe(true);
  });
});
