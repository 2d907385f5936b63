import type { AdamOptions } from '../../optim/adam.js';
import type { SlotSum } from '../../optim/average-slots.js';
import { instantiateKernels, type KernelExports, type WasmModuleAndMemory } from './kernel-exports.js';
import type { WasmMemory, WasmModule } from './wasm-api.js';
import { addressOf, allocBytes, allocFloat32 } from './shared-memory.js';

// One instance per module and memory per thread, made on first use: these run on the main thread.
const instances = new WeakMap<WasmModule, WeakMap<WasmMemory, KernelExports>>();

function kernelsFor(backend: WasmModuleAndMemory): KernelExports {
  let byMemory = instances.get(backend.module);
  if (!byMemory) instances.set(backend.module, (byMemory = new WeakMap()));
  let kernels = byMemory.get(backend.memory);
  if (!kernels) byMemory.set(backend.memory, (kernels = instantiateKernels(backend)));
  return kernels;
}

/**
 * Slots per addSlots pass. On slots another core had just written, summing 100 slots took
 * 0.40-0.55 ms one slot per pass and 0.25 ms in passes of 8 (medians of 60 alternating runs);
 * passes of 16 were slower again and passes of 50 three times slower, reading more slots at once
 * than the prefetchers follow.
 */
const SLOTS_PER_PASS = 8;

/**
 * optim/average-slots.ts's JsSlotSum in wasm SIMD, bitwise the same in float32: an f64 running sum
 * in the shared memory, fed runs of slots while the workers compute the rest of the batch.
 */
export class WasmSlotSum implements SlotSum {
  private readonly kernels: KernelExports;
  private readonly sumAt: number;
  private readonly slotsAt: number;
  private readonly slotCount: number;

  constructor(
    private readonly backend: WasmModuleAndMemory,
    slots: Float32Array,
    private readonly n: number,
  ) {
    this.kernels = kernelsFor(backend);
    this.slotsAt = addressOf(backend.memory, slots, 'slots', n);
    this.slotCount = Math.floor(slots.length / n);
    this.sumAt = allocBytes(backend.memory, n * 8);
  }

  add(from: number, to: number): void {
    if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from < to && to <= this.slotCount)) {
      throw new RangeError(`no gradient slots ${from}..${to - 1} of ${this.slotCount}`);
    }
    for (let s = from; s < to; s += SLOTS_PER_PASS) this.kernels.addSlots(this.sumAt, this.slotsAt, this.n, s, Math.min(to, s + SLOTS_PER_PASS));
  }

  finish(mean: Float32Array, count: number): void {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`cannot average ${count} slots`);
    this.kernels.meanOfSum(addressOf(this.backend.memory, mean, 'mean', this.n), this.sumAt, this.n, count);
  }
}

/** Adam's state as optim/adam.ts keeps it, with m and v in the shared memory. */
export interface WasmAdamState {
  readonly options: AdamOptions;
  readonly m: Float32Array;
  readonly v: Float32Array;
  step: number;
}

/**
 * Adam.update of optim/adam.ts in wasm SIMD, bitwise the same in float32: advances state.step and
 * moves params against grad. params, grad, m and v are views into the backend's shared memory.
 */
export function wasmAdamUpdate(backend: WasmModuleAndMemory, state: WasmAdamState, params: Float32Array, grad: Float32Array): void {
  const n = params.length;
  const { memory } = backend;
  const at = {
    params: addressOf(memory, params, 'params', n),
    grad: addressOf(memory, grad, 'grad', n),
    m: addressOf(memory, state.m, 'Adam m', n),
    v: addressOf(memory, state.v, 'Adam v', n),
  };
  const { lr, beta1, beta2, eps } = state.options;
  const t = ++state.step;
  // The reference's expressions, evaluated in JS so that they round identically.
  const lrT = (lr * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
  kernelsFor(backend).adamUpdate(at.params, at.grad, at.m, at.v, n, lrT, beta1, beta2, 1 - beta1, 1 - beta2, eps);
}

/** A drop-in for optim/adam.ts's Adam (same fields, same update) whose state lives in the shared memory. */
export class WasmAdam implements WasmAdamState {
  readonly m: Float32Array;
  readonly v: Float32Array;
  step = 0;

  constructor(
    private readonly backend: WasmModuleAndMemory,
    readonly options: AdamOptions,
    size: number,
  ) {
    this.m = allocFloat32(backend.memory, size);
    this.v = allocFloat32(backend.memory, size);
  }

  update(params: Float32Array, grad: Float32Array): void {
    wasmAdamUpdate(this.backend, this, params, grad);
  }
}
