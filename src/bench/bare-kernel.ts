import { Worker } from 'node:worker_threads';
import type { ImageSet } from '../data/dataset.js';
import type { KernelChoice } from '../kernels/index.js';
import { createBackend } from '../kernels/index.js';
import type { Dtype, FloatArray } from '../model/float-array.js';
import { type Model, modelShape } from '../model/model.js';
import { compiledWorkerPath } from '../parallel/worker-path.js';

/**
 * What the cores give on their own: threads that each run the per-sample forward and backward
 * pass over and over, with nothing shared between them (each has its own backend, so its own wasm
 * memory, weights and slot) and nothing to coordinate. Each measurement computes with the weights
 * the trainer's run ended with: the kernels skip zeros, so their speed depends on the weights (the
 * initial ones made `opacus-mnist` 11% faster per sample than those after 70 steps). The
 * trainer's speedup cannot beat theirs; what it loses below it is the cost of the trainer's
 * sharing and coordination, and what theirs loses below the thread count is the machine's (shared
 * caches, clocks, a hypervisor).
 */
export interface BareKernelSetup {
  readonly model: Model;
  readonly dtype: Dtype;
  readonly kernels: KernelChoice;
  readonly train: ImageSet;
}

/** Samples/s of the first `count` of `BareKernelThreads`' threads running at once, summed. */
export class BareKernelThreads {
  private constructor(private readonly threads: { measure(m: Measurement): Promise<number>; stop(): Promise<number> }[]) {}

  static async start(count: number, setup: BareKernelSetup): Promise<BareKernelThreads> {
    return new BareKernelThreads(await Promise.all(Array.from({ length: count }, () => startThread(setup))));
  }

  /** Samples/s of `count` threads computing with `params` for `ms` milliseconds. */
  async measure(count: number, ms: number, params: FloatArray): Promise<number> {
    const rates = await Promise.all(this.threads.slice(0, count).map((t) => t.measure({ ms, params })));
    return rates.reduce((a, b) => a + b, 0);
  }

  async stop(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.stop()));
  }
}

/** What each measurement posts to a thread. */
interface Measurement {
  readonly ms: number;
  readonly params: FloatArray;
}

function startThread(setup: BareKernelSetup): Promise<{ measure(m: Measurement): Promise<number>; stop(): Promise<number> }> {
  const worker = new Worker(compiledWorkerPath('bare-kernel-worker'), { workerData: setup });
  const waiting: { resolve(value: number): void; reject(e: unknown): void }[] = [];
  worker.on('message', (value: number) => waiting.shift()?.resolve(value));
  worker.on('error', (e) => waiting.splice(0).forEach((w) => w.reject(e)));
  const reply = () => new Promise<number>((resolve, reject) => waiting.push({ resolve, reject }));
  const thread = {
    measure(m: Measurement) {
      const answer = reply();
      worker.postMessage(m);
      return answer;
    },
    stop: () => worker.terminate(),
  };
  return reply().then(() => thread);
}

/** The thread's side: builds its own kernels, then answers each measurement with the samples/s it ran. */
export async function runBareKernelThread(
  setup: BareKernelSetup,
  port: { postMessage(v: number): void; on(event: 'message', f: (m: Measurement) => void): void },
): Promise<void> {
  const backend = await createBackend(setup.kernels, setup.dtype);
  const n = modelShape(setup.model).total;
  const params = backend.allocShared(n);
  const kernels = backend.sampleKernels(setup.model);
  const slot = backend.allocShared(kernels.slots.length);
  const { train } = setup;
  let next = 0;
  port.on('message', ({ ms, params: weights }) => {
    params.set(weights);
    kernels.prepare(params);
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
