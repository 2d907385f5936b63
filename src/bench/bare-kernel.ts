import { Worker } from 'node:worker_threads';
import type { ImageSet } from '../data/dataset.js';
import type { KernelChoice } from '../kernels/index.js';
import { createBackend } from '../kernels/index.js';
import type { Dtype } from '../model/float-array.js';
import { initModel, type Model, modelShape } from '../model/model.js';
import { compiledWorkerPath } from '../parallel/worker-path.js';
import { createRandomStreams } from '../rng/streams.js';

/**
 * What the cores give on their own: threads that each run the per-sample forward and backward
 * pass over and over, with nothing shared between them (each has its own backend, so its own wasm
 * memory, weights and slot) and nothing to coordinate. The trainer's speedup cannot beat theirs;
 * what it loses below it is the cost of the trainer's sharing and coordination, and what theirs
 * loses below the thread count is the machine's (shared caches, clocks, a hypervisor).
 */
export interface BareKernelSetup {
  readonly model: Model;
  readonly dtype: Dtype;
  readonly kernels: KernelChoice;
  readonly train: ImageSet;
  readonly seed: number;
}

/** Samples/s of the first `count` of `BareKernelThreads`' threads running at once, summed. */
export class BareKernelThreads {
  private constructor(private readonly threads: { measure(ms: number): Promise<number>; stop(): Promise<number> }[]) {}

  static async start(count: number, setup: BareKernelSetup): Promise<BareKernelThreads> {
    return new BareKernelThreads(await Promise.all(Array.from({ length: count }, () => startThread(setup))));
  }

  async measure(count: number, ms: number): Promise<number> {
    const rates = await Promise.all(this.threads.slice(0, count).map((t) => t.measure(ms)));
    return rates.reduce((a, b) => a + b, 0);
  }

  async stop(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.stop()));
  }
}

function startThread(setup: BareKernelSetup): Promise<{ measure(ms: number): Promise<number>; stop(): Promise<number> }> {
  const worker = new Worker(compiledWorkerPath('bare-kernel-worker'), { workerData: setup });
  const waiting: { resolve(value: number): void; reject(e: unknown): void }[] = [];
  worker.on('message', (value: number) => waiting.shift()?.resolve(value));
  worker.on('error', (e) => waiting.splice(0).forEach((w) => w.reject(e)));
  const reply = () => new Promise<number>((resolve, reject) => waiting.push({ resolve, reject }));
  const thread = {
    measure(ms: number) {
      const answer = reply();
      worker.postMessage(ms);
      return answer;
    },
    stop: () => worker.terminate(),
  };
  return reply().then(() => thread);
}

/** The thread's side: builds its own kernels, then answers each duration with the samples/s it ran. */
export async function runBareKernelThread(setup: BareKernelSetup, port: { postMessage(v: number): void; on(event: 'message', f: (ms: number) => void): void }): Promise<void> {
  const backend = await createBackend(setup.kernels, setup.dtype);
  const n = modelShape(setup.model).total;
  const params = backend.allocShared(n);
  initModel(setup.model, params, createRandomStreams('shardtrain', setup.seed));
  const slot = backend.allocShared(n);
  const kernels = backend.sampleKernels(setup.model);
  kernels.prepare(params);
  const { train } = setup;
  let next = 0;
  port.on('message', (ms) => {
    const started = performance.now();
    let samples = 0;
    let now = started;
    for (; now - started < ms; now = performance.now()) {
      for (let i = 0; i < 10; i++, samples++, next = (next + 1) % train.count) {
        kernels.sampleGradient(params, train, next, train.labels[next], slot);
      }
    }
    port.postMessage((samples * 1000) / (now - started));
  });
  port.postMessage(0);
}
