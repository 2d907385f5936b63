import { threadId } from 'node:worker_threads';
import { allocFloat, type FloatArray } from '../model/float-array.js';
import { backendFrom, type SampleKernels } from '../kernels/index.js';
import { modelClasses, modelShape } from '../model/model.js';
import { argmax, softmaxCrossEntropy } from '../model/softmax-cross-entropy.js';
import { FAULT_ENV, parseInjectedFault, triggerFault } from './fault-injection.js';
import { drawNoiseChunk, noiseChunks } from '../privacy/gaussian-noise.js';
import { NOISE_COUNTER, type SharedState, TEST_COUNTER, TRAIN_COUNTER } from './shared-state.js';
import { awaitOrder, Control, RECORD_FIELDS, readOrder, type SessionTask, type StepOrder } from './session-protocol.js';
import type { Task, ThreadTiming } from './tasks.js';

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
    this.kernels = backendFrom(state.backend).sampleKernels(state.model);
    const n = modelShape(state.model).total;
    this.slots = Array.from({ length: state.batchSize }, (_, i) => state.gradSlots.subarray(i * n, (i + 1) * n));
    this.classes = modelClasses(state.model);
    this.logits = allocFloat(state.dtype, this.classes);
  }

  run(task: Task): ThreadTiming {
    const started = performance.now();
    let samples = 0;
    if (task.kind === 'session') samples = this.session(task);
    else if (task.kind === 'evaluation') {
      this.kernels.prepare(this.state.params);
      samples = this.evaluate(task.count, task.chunk);
    }
    const ended = performance.now();
    return this.result(samples, started, ended);
  }

  private result(samples: number, started: number, ended: number): ThreadTiming {
    const origin = performance.timeOrigin;
    return { samples, computeMs: ended - started, threadId, startedAt: origin + started, endedAt: origin + ended };
  }

  /** A session: every order the main thread posts, until it says stop; returns the samples done. */
  private session({ control, records, threads, spinMs, lastSpinMs }: SessionTask): number {
    const row = Atomics.add(control, Control.ROWS, 1);
    const record = records.subarray(row * RECORD_FIELDS, (row + 1) * RECORD_FIELDS);
    let total = 0;
    let wasLast = false;
    for (let seen = 0; ; ) {
      seen = awaitOrder(control, seen, wasLast ? lastSpinMs : spinMs);
      if (Atomics.load(control, Control.STOP) !== 0) return total;
      const started = performance.now();
      // Parameters change only between steps, so kernels that repack them do it once per step.
      this.kernels.prepare(this.state.params);
      const samples = this.gradients(readOrder(control));
      const r = this.result(samples, started, performance.now());
      record.set([r.samples, r.computeMs, r.threadId, r.startedAt, r.endedAt]);
      total += samples;
      wasLast = Atomics.add(control, Control.CHECKED_IN, 1) === threads - 1;
      if (wasLast) Atomics.notify(control, Control.CHECKED_IN);
    }
  }

  private gradients({ batchStart, batchCount, chunk, step, attempt, attemptId }: StepOrder): number {
    const { params, batchLosses, order, train, slotAttempts, sampleNorms } = this.state;
    const { measureNorms, clipNorm, noise } = this.state.perSample;
    const fault = this.injectedFault;
    const samples = this.forEachClaimed(TRAIN_COUNTER, batchCount, chunk, (first, last) => {
      for (let i = first; i < last; i++) {
        if (fault !== null && i === fault.sample && fault.step === step && attempt < fault.attempts) triggerFault(fault.kind);
        const image = order[batchStart + i];
        batchLosses[i] = this.kernels.sampleGradient(params, train, image, train.labels[image], this.slots[i]);
        if (measureNorms) sampleNorms[i] = this.kernels.clipGradient(this.slots[i], clipNorm);
        // Publishes the slot to the main thread, which sums slots as they complete (the
        // sequentially consistent store orders the slot's writes before it).
        Atomics.store(slotAttempts, i, attemptId);
      }
    });
    // No samples left to claim: draw the step's noise, in the time this thread would wait for the slowest.
    if (noise !== null) {
      this.forEachClaimed(NOISE_COUNTER, noiseChunks(this.state.noise.length), 1, (first, last) => {
        for (let c = first; c < last; c++) drawNoiseChunk(this.state.noise, noise.seed, noise.stddev, step, c);
      });
    }
    return samples;
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
