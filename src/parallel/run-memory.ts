/**
 * What a run holds at once, counted before anything is allocated. A network too large for the
 * memory its kernels run in would otherwise fail deep inside an allocation, or in every pool
 * thread in turn; this says which part is too large and what to lower, in one line.
 */
import type { Backend, MemoryLimit } from '../kernels/backend.js';
import type { Model, ModelShape } from '../model/model.js';
import { type NameSetting, SettingError } from '../util/errors.js';
import { bytesText, machineLimit, machineMemory } from '../util/machine-memory.js';

export interface MemoryPart {
  /** As the message names it: 'per-sample gradient slots'. */
  readonly what: string;
  readonly bytes: number;
  /** The setting that lowers it ('batchSize', 'threads', 'model'). */
  readonly setting: string;
  /** What to use instead, given the bytes the other parts leave it: 'a smaller --batch-size (slots for 676 samples fit)'. */
  readonly fix: (room: number, name: NameSetting) => string;
}

export interface RunSize {
  /** Per-sample gradient slots (one for evaluation). */
  readonly slots: number;
  readonly threads: number;
  /** Optimizer values kept per parameter: Adam's two moments, SGD's momentum; none to evaluate. */
  readonly optimizerStates: number;
  /** Whether the pool may apply the updates, which keeps a backup of the parameters and the optimizer's state. */
  readonly poolUpdates: boolean;
}

/**
 * The parts of a run that live in `backend`'s memory (parallel/shared-state.ts allocates them):
 * the parameters with the step's mean, the batch's float64 running and carried sums, the
 * optimizer's state and the pool's backups of both; the slots; each thread's scratch.
 */
export function runMemory(backend: Backend, model: Model, shape: ModelShape, size: RunSize): MemoryPart[] {
  const value = backend.dtype === 'float32' ? 4 : 8;
  const perParameter = value * (2 + size.optimizerStates) + 16 + (size.poolUpdates ? value * (1 + size.optimizerStates) : 0);
  const scratch = backend.scratchBytes(model);
  const parameters = shape.total * perParameter;
  const slotBytes = shape.slots.length * value;
  const fewerParameters = () => 'a network with fewer parameters';
  return [
    { what: 'parameters with their sums, optimizer state and backups', bytes: parameters, setting: 'model', fix: fewerParameters },
    {
      what: `per-sample gradient slots (${size.slots} x ${shape.slots.length.toLocaleString('en-US')} values x ${value} bytes)`,
      bytes: size.slots * slotBytes,
      setting: 'batchSize',
      fix: (room, name) => {
        const smaller = room >= slotBytes ? `a smaller ${name('batchSize')} (slots for ${Math.floor(room / slotBytes)} samples fit)` : fewerParameters();
        return value === 8 ? `${smaller}, or ${name('dtype')} float32 (half the bytes)` : smaller;
      },
    },
    {
      what: `activations (${bytesText(scratch)} a thread x ${size.threads})`,
      bytes: scratch * size.threads,
      setting: 'threads',
      // Fewer threads help only if one thread's activations fit beside the rest.
      fix: (room, name) => `${size.threads > 1 && room >= scratch ? `fewer ${name('threads')}, or ` : ''}smaller activations (larger strides, pooling earlier)`,
    },
  ];
}

/**
 * Node posts a typed array to a pool thread with its length in bytes as 32 bits: one of 4 GiB or
 * more arrives cut short, and the slots past the cut would be lost (parallel/shared-state.ts).
 */
export const POSTED_ARRAY_LIMIT: MemoryLimit = { bytes: 2 ** 32 - 1, what: 'the 4 GiB a pool thread can receive in one array' };

/**
 * Node's own memory per pool thread (its heap, stacks and the loaded modules), measured: a run of
 * 33 threads peaked at 490 MB, one of 1 thread at 104 MB.
 */
export const THREAD_BYTES = 12 * 2 ** 20;

/**
 * The run's parts against the memory its kernels run in, and, with the pool threads' own memory,
 * against the machine's (`machineBytes`): 1,024 threads take 12 GiB before computing anything.
 */
export function checkRunMemory(backend: Backend, model: Model, shape: ModelShape, size: RunSize, task: string, machineBytes = machineMemory()): void {
  const parts = runMemory(backend, model, shape, size);
  checkMemory(parts, backend.memoryLimit, task);
  // The slots are one array, which each pool thread receives: it must arrive whole.
  const slots = parts.find((p) => p.setting === 'batchSize')!;
  checkMemory([slots], POSTED_ARRAY_LIMIT, task, 'the array of per-sample gradient slots');
  const threads: MemoryPart = {
    what: `the pool threads' own memory (${bytesText(THREAD_BYTES)} each x ${size.threads})`,
    bytes: size.threads * THREAD_BYTES,
    setting: 'threads',
    fix: (_room, name) => `fewer ${name('threads')}`,
  };
  checkMemory([...parts, threads], machineLimit(machineBytes), task);
}

/**
 * bench keeps a trainer per thread count (two with --dp) for the whole run: their threads' own
 * memory together must fit the machine's, beside what each trainer checks for itself.
 */
export function checkBenchThreads(threadCounts: readonly number[], trainersEach: number, machineBytes = machineMemory()): void {
  const threads = threadCounts.reduce((a, b) => a + b, 0) * trainersEach;
  const part: MemoryPart = {
    what: `the pool threads' own memory of its ${threadCounts.length * trainersEach} trainers (${bytesText(THREAD_BYTES)} each x ${threads})`,
    bytes: threads * THREAD_BYTES,
    setting: 'threads',
    fix: (_room, name) => `fewer or smaller ${name('threads')} counts`,
  };
  checkMemory([part], machineLimit(machineBytes), 'run', 'the bench');
}

/** Throws a SettingError naming each part, and the fix of the largest, when together they exceed `limit`; `task` is 'train', 'evaluate', ... */
export function checkMemory(parts: readonly MemoryPart[], limit: MemoryLimit, task: string, subject = 'this network'): void {
  const total = parts.reduce((sum, p) => sum + p.bytes, 0);
  if (total <= limit.bytes) return;
  const largest = parts.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const room = Math.max(0, limit.bytes - (total - largest.bytes));
  const listed = parts.filter((p) => p.bytes > 0).map((p) => `${p.what} ${bytesText(p.bytes)}`);
  throw new SettingError(largest.setting, (name) => `${subject} needs ${bytesText(total)} to ${task}, more than ${limit.what} (${listed.join(', ')}): use ${largest.fix(room, name)}`);
}
