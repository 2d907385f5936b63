import { threadId } from 'node:worker_threads';
import { deriveDims } from '../model/config.js';
import { allocFloat, type FloatArray } from '../model/float-array.js';
import type { SampleKernels } from '../model/kernels.js';
import { WasmNetwork } from '../kernels/wasm/index.js';
import { Network } from '../model/network.js';
import { parameterLayout } from '../model/parameters.js';
import { argmax, softmaxCrossEntropy } from '../model/softmax-cross-entropy.js';
import { FAULT_ENV, parseInjectedFault, triggerFault } from './fault-injection.js';
import { DONE_COUNTER, type SharedState, TEST_COUNTER, TRAIN_COUNTER } from './shared-state.js';
import type { Task, TaskResult } from './tasks.js';

/**
 * The work of one thread, shared by the worker file and by tests that run it in-process.
 * Samples are claimed `chunk` at a time from a shared counter, so a fast thread takes more of
 * them and nobody waits for a fixed half; each sample's result goes to its own slot, so which
 * thread computed it changes nothing.
 */
export class WorkerContext {
  private readonly kernels: SampleKernels;
  /** Per-slot views, made once: a step then allocates nothing. */
  private readonly slots: FloatArray[];
  private readonly logits: FloatArray;
  private readonly classes: number;
  private readonly injectedFault = parseInjectedFault(process.env[FAULT_ENV]);

  constructor(private readonly state: SharedState) {
    const dims = deriveDims(state.config);
    this.kernels = state.wasm === null ? new Network(dims, state.dtype) : WasmNetwork.create(state.wasm, dims);
    const n = parameterLayout(dims).total;
    this.slots = Array.from({ length: state.batchSize }, (_, i) => state.gradSlots.subarray(i * n, (i + 1) * n));
    this.classes = dims.classes;
    this.logits = allocFloat(state.dtype, dims.classes);
  }

  run(task: Task): TaskResult {
    const started = performance.now();
    let samples = 0;
    // Parameters change only between phases, so kernels that repack them do it once per phase.
    if (task.kind !== 'noop') this.kernels.prepare(this.state.params);
    if (task.kind === 'gradients') samples = this.gradients(task);
    else if (task.kind === 'evaluate') samples = this.evaluate(task.count, task.chunk);
    const ended = performance.now();
    const origin = performance.timeOrigin;
    return { samples, computeMs: ended - started, threadId, startedAt: origin + started, endedAt: origin + ended };
  }

  private gradients(task: Extract<Task, { kind: 'gradients' }>): number {
    const { params, batchLosses, order, train, slotStamps, counters } = this.state;
    const { batchStart, batchCount, chunk, step, attempt, stamp } = task;
    const fault = this.injectedFault;
    return this.forEachClaimed(TRAIN_COUNTER, batchCount, chunk, (first, last) => {
      for (let i = first; i < last; i++) {
        if (fault !== null && i === fault.sample && fault.step === step && attempt < fault.attempts) triggerFault(fault.kind);
        const image = order[batchStart + i];
        batchLosses[i] = this.kernels.sampleGradient(params, train, image, train.labels[image], this.slots[i]);
        // Publishes the slot (the stamp's store orders the slot's writes before it) to the main
        // thread, which sums slots as they complete; only the batch's last one wakes it.
        Atomics.store(slotStamps, i, stamp);
        if (Atomics.add(counters, DONE_COUNTER, 1) === batchCount - 1) Atomics.notify(counters, DONE_COUNTER);
      }
    });
  }

  private evaluate(count: number, chunk: number): number {
    const { params, test, testLosses, testPredictions } = this.state;
    const logits = this.logits;
    return this.forEachClaimed(TEST_COUNTER, count, chunk, (first, last) => {
      for (let i = first; i < last; i++) {
        this.kernels.sampleLogits(params, test, i, logits);
        testLosses[i] = softmaxCrossEntropy(null, logits, test.labels[i], this.classes);
        testPredictions[i] = argmax(logits, this.classes);
      }
    });
  }

  /** Claims `chunk` items at a time of `count` from a shared counter until none are left; returns how many this thread did. */
  private forEachClaimed(counter: number, count: number, chunk: number, work: (first: number, last: number) => void): number {
    let done = 0;
    for (;;) {
      const first = Atomics.add(this.state.counters, counter, chunk);
      if (first >= count) return done;
      const last = Math.min(first + chunk, count);
      work(first, last);
      done += last - first;
    }
  }
}
