import { threadId } from 'node:worker_threads';
import { allocFloat, type FloatArray } from '../model/float-array.js';
import { type Backend, backendFrom, type SampleKernels } from '../kernels/index.js';
import type { NormalFill } from '../rng/ziggurat.js';
import { modelClasses, modelShape } from '../model/model.js';
import { argmax, softmaxCrossEntropy } from '../model/softmax-cross-entropy.js';
import { FAULT_ENV, parseInjectedFault, triggerFault } from './fault-injection.js';
import { drawNoiseChunk, noiseChunks } from '../privacy/gaussian-noise.js';
import type { SlotSum } from '../optim/average-slots.js';
import { CLAIMED_COUNTER, DONE_COUNTER, NOISE_COUNTER, STARTED_COUNTER, SUM_COUNTER, TEST_COUNTER, type ThreadData, TRAIN_COUNTER } from './shared-state.js';
import { awaitOrder, barrier, Control, Fault, NONFINITE_MEAN, NONFINITE_UPDATE, RECORD_FIELDS, readOrder, type SessionTask, type StepOrder, Summing } from './session-protocol.js';
import { BlockUpdate, restoreBlocks, SUM_BLOCK } from './pool-update.js';
import type { BareKernelTask, Task, ThreadTiming } from './tasks.js';

/** Updates coordinates [first, last) of the parameters once their mean is in (pool-update.ts). */
type BlockAction = (first: number, last: number) => void;

/**
 * The work of one thread, shared by the worker file and by tests that run it in-process.
 * Samples are claimed `chunk` at a time from a shared counter, so a fast thread takes more of
 * them and nobody waits for a fixed half; each sample's result goes to its own slot, so which
 * thread computed it changes nothing.
 */
export class WorkerContext {
  private readonly kernels: SampleKernels;
  private readonly slotSum: SlotSum;
  /** Draws the normals of private training's noise; made on first use (ordinary training has none). */
  private normalFill: NormalFill | null = null;
  private readonly backend: Backend;
  /** Per-slot views, made once: a step then allocates nothing. */
  private readonly slots: FloatArray[];
  private readonly logits: FloatArray;
  private readonly classes: number;
  private readonly injectedFault = parseInjectedFault(process.env[FAULT_ENV]);
  /** This thread's part of the updates, where the pool applies them. */
  private readonly blockUpdate: BlockUpdate | null;
  /** Whether the blocks of the mean that this thread averaged in the last step are all finite. */
  private meanFinite = true;

  constructor(private readonly state: ThreadData) {
    const backend = backendFrom(state.backend);
    this.backend = backend;
    // A thread that piscina starts beyond the pool's own (to replace a failed one) makes a new area.
    const claimed = Atomics.add(state.counters, CLAIMED_COUNTER, 1);
    const area = claimed < state.areas.length && state.areas[claimed] >= 0 ? state.areas[claimed] : undefined;
    this.kernels = backend.sampleKernels(state.model, area);
    const layout = modelShape(state.model).slots;
    const n = layout.length;
    this.slotSum = backend.slotSum(state.gradSlots, layout, state.batchSums);
    this.slots = Array.from({ length: state.batchSize }, (_, i) => state.gradSlots.subarray(i * n, (i + 1) * n));
    this.classes = modelClasses(state.model);
    this.logits = allocFloat(state.dtype, this.classes);
    this.blockUpdate = state.poolUpdate === null ? null : new BlockUpdate(backend, state.poolUpdate, state.params, state.mean);
    Atomics.add(state.counters, STARTED_COUNTER, 1);
  }

  /** Any task but the bench's bare kernel, which the worker file runs (src/bench/bare-kernel.ts). */
  run(task: Exclude<Task, BareKernelTask>): ThreadTiming {
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
      const order = readOrder(control);
      const samples = order.update ? this.updatingSteps(order, control, threads, spinMs) : this.step(order, spinMs);
      const r = this.result(samples, started, performance.now());
      record.set([r.samples, r.computeMs, r.threadId, r.startedAt, r.endedAt]);
      total += samples;
      wasLast = Atomics.add(control, Control.CHECKED_IN, 1) === threads - 1;
      if (wasLast) Atomics.notify(control, Control.CHECKED_IN);
    }
  }

  /**
   * One step's gradients (and their sum, when the pool sums; `apply` then updates each block once
   * it is averaged); returns the samples this thread computed.
   */
  private step(order: StepOrder, spinMs: number, apply: BlockAction | null = null): number {
    // Parameters change only between steps, so kernels that repack them do it once per step.
    this.kernels.prepare(this.state.params);
    return this.gradients(order, spinMs, apply);
  }

  /**
   * An order whose steps the threads apply themselves, batch after batch (pool-update.ts): each
   * block of coordinates is summed, averaged and updated by the thread that claims it, and at the
   * step's end the last thread to arrive judges the step. A step whose loss, mean or update is not
   * finite is undone from the blocks' backups and ends the order (FAULT says which value); so do the
   * order's last step and the main thread's END_EARLY.
   */
  private updatingSteps(order: StepOrder, control: Int32Array, threads: number, spinMs: number): number {
    const blockUpdate = this.blockUpdate;
    if (blockUpdate === null) throw new Error('an order to apply updates, but the pool has no optimizer state');
    const fault = this.injectedFault;
    let samples = 0;
    for (let s = 0; s < Atomics.load(control, Control.STEPS); s++) {
      const step = order.step + s;
      const number = control[Control.FIRST_UPDATE] + s;
      let midway = fault?.during === 'update' && fault.step === step && order.attempt < fault.attempts;
      let updateFinite = true;
      const apply = (first: number, last: number) => {
        updateFinite = blockUpdate.applyBlock(first, last, step, number) && updateFinite;
        if (midway) triggerFault(fault!.kind);
        midway = false;
      };
      samples += this.step({ ...order, batchStart: order.batchStart + s * order.batchCount, step }, spinMs, apply);
      if (!this.meanFinite) Atomics.or(control, Control.NONFINITE, NONFINITE_MEAN);
      if (!updateFinite) Atomics.or(control, Control.NONFINITE, NONFINITE_UPDATE);
      barrier(control, threads, spinMs, () => this.judgeStep(control, s, order.batchCount, number));
      if (Atomics.load(control, Control.FAULT) !== Fault.NONE) break;
    }
    return samples;
  }

  /**
   * By the last thread of a step to arrive, every block updated: the step's loss, and whether the
   * update stands; then the next step's counters, or the end of the order.
   */
  private judgeStep(control: Int32Array, s: number, count: number, number: number): void {
    const { batchLosses, poolUpdate, counters, params } = this.state;
    let lossSum = 0;
    for (let i = 0; i < count; i++) lossSum += batchLosses[i];
    poolUpdate!.stepLosses[s] = lossSum;
    const nonfinite = Atomics.load(control, Control.NONFINITE);
    const fault = !Number.isFinite(lossSum) ? Fault.LOSS : nonfinite & NONFINITE_MEAN ? Fault.MEAN : nonfinite & NONFINITE_UPDATE ? Fault.UPDATE : Fault.NONE;
    if (fault !== Fault.NONE) {
      restoreBlocks(poolUpdate!, params, number);
      Atomics.store(control, Control.FAULT, fault);
      return;
    }
    Atomics.store(control, Control.COMPLETED, s + 1);
    // Read once, here, so that every thread stops after the same step.
    if (Atomics.load(control, Control.END_EARLY) !== 0) Atomics.store(control, Control.STEPS, s + 1);
    for (const counter of [TRAIN_COUNTER, SUM_COUNTER, DONE_COUNTER]) Atomics.store(counters, counter, 0);
  }

  private gradients({ batchStart, batchCount, chunk, step, attempt, attemptId, summing }: StepOrder, spinMs: number, apply: BlockAction | null): number {
    const { params, batchLosses, imageAt, train, slotAttempts, sampleNorms, counters } = this.state;
    const { measureNorms, clipNorm, noise } = this.state.perSample;
    const fault = this.injectedFault;
    const samples = this.forEachClaimed(TRAIN_COUNTER, batchCount, chunk, (first, last) => {
      for (let i = first; i < last; i++) {
        if (fault !== null && fault.during === 'sample' && i === fault.sample && fault.step === step && attempt < fault.attempts) triggerFault(fault.kind);
        const image = imageAt[batchStart + i];
        batchLosses[i] = this.kernels.sampleGradient(params, train, image, train.labels[image], this.slots[i]);
        if (measureNorms) sampleNorms[i] = this.kernels.clipGradient(this.slots[i], clipNorm);
        // Publishes the slot to the main thread, which sums slots as they complete (the
        // sequentially consistent store orders the slot's writes before it).
        Atomics.store(slotAttempts, i, attemptId);
        if (Atomics.add(counters, DONE_COUNTER, 1) === batchCount - 1) Atomics.notify(counters, DONE_COUNTER);
      }
    });
    // No samples left to claim: draw the step's noise, in the time this thread would wait for the slowest.
    if (noise !== null) {
      const fill = (this.normalFill ??= this.backend.normalFill());
      this.forEachClaimed(NOISE_COUNTER, noiseChunks(this.state.noise.length), 1, (first, last) => {
        for (let c = first; c < last; c++) drawNoiseChunk(this.state.noise, noise.seed, noise.stddev, step, c, fill);
      });
    }
    if (summing !== Summing.MAIN) {
      this.awaitSamples(batchCount, spinMs);
      const n = this.state.params.length;
      const fromCarried = summing === Summing.POOL_FROM_CARRIED;
      let finite = true;
      this.forEachClaimed(SUM_COUNTER, Math.ceil(n / SUM_BLOCK), 1, (first, last) => {
        for (let b = first; b < last; b++) {
          const [lo, hi] = [b * SUM_BLOCK, Math.min(n, (b + 1) * SUM_BLOCK)];
          this.slotSum.sumBlock(batchCount, lo, hi, fromCarried);
          if (apply === null) continue;
          // Averaged and applied while the block's sum is still in this core's cache.
          finite = this.slotSum.finishBlock(this.state.mean, batchCount, lo, hi) && finite;
          apply(lo, hi);
        }
      });
      this.meanFinite = finite;
    }
    return samples;
  }

  /**
   * Returns once all `count` samples of the step are complete (each thread sums a block of every
   * slot), spinning up to spinMs before sleeping until the thread that completes the last one wakes it.
   */
  private awaitSamples(count: number, spinMs: number): void {
    const counters = this.state.counters;
    const spinUntil = performance.now() + spinMs;
    for (;;) {
      const done = Atomics.load(counters, DONE_COUNTER);
      if (done >= count) return;
      if (performance.now() >= spinUntil) Atomics.wait(counters, DONE_COUNTER, done);
    }
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
