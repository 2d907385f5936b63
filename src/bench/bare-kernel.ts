import { threadId } from 'node:worker_threads';
import type { ImageSet } from '../data/dataset.js';
import { backendApart, type BackendHandle, type SampleKernels } from '../kernels/index.js';
import type { FloatArray } from '../model/float-array.js';
import { type Model, modelShape } from '../model/model.js';
import type { ThreadTiming } from '../parallel/tasks.js';

/**
 * What the cores give on their own: each of the trainer's pool threads, once its timed steps are
 * done, runs the per-sample forward and backward pass over and over with nothing shared (its own
 * memory, weights and slot, the same compiled kernels) and nothing to coordinate. Running on the
 * trainer's own threads puts each measurement on the cores the trainer's threads had (on a
 * machine whose cores differ, a separate thread may land on another one). It computes with the
 * weights the trainer's run ended with: the kernels skip zeros, so their speed depends on the
 * weights (the initial ones made `opacus-mnist` 11% faster per sample than those after 70 steps).
 * The trainer's speedup cannot beat the bare kernel's; what it loses below it is the cost of the
 * trainer's sharing and coordination, and what the bare kernel loses below the thread count is the
 * machine's (shared caches, clocks, a hypervisor).
 */
export class BareKernel {
  private next = 0;

  private constructor(
    private readonly kernels: SampleKernels,
    private readonly params: FloatArray,
    private readonly slot: FloatArray,
    private readonly train: ImageSet,
  ) {}

  /** The kernels of `handle`'s kind on memory of this thread's own. */
  static create(handle: BackendHandle, model: Model, train: ImageSet): BareKernel {
    const backend = backendApart(handle);
    const kernels = backend.sampleKernels(model);
    return new BareKernel(kernels, backend.allocShared(modelShape(model).total), backend.allocShared(kernels.slots.length), train);
  }

  /** Samples computed with a copy of `weights` for about `ms` milliseconds, after a few untimed ones. */
  measure(ms: number, weights: FloatArray): ThreadTiming {
    this.params.set(weights);
    this.kernels.prepare(this.params);
    this.samples(10);
    const started = performance.now();
    let samples = 0;
    let now = started;
    for (; now - started < ms; now = performance.now(), samples += 10) this.samples(10);
    const origin = performance.timeOrigin;
    return { samples, computeMs: now - started, threadId, startedAt: origin + started, endedAt: origin + now };
  }

  private samples(count: number): void {
    const { train } = this;
    for (let i = 0; i < count; i++, this.next = (this.next + 1) % train.count) {
      this.kernels.sampleGradient(this.params, train, this.next, train.labels[this.next], this.slot);
    }
  }
}
