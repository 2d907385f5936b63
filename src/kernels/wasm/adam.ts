import { adamStepSize, type AdamOptions } from '../../optim/adam.js';
import type { Optimizer, OptimizerSettings, StateBuffers } from '../../optim/optimizer.js';
import { cachedKernels, type WasmModuleAndMemory } from './kernel-exports.js';
import { addressOf, allocFloat32 } from './shared-memory.js';

/**
 * optim/adam.ts's Adam in wasm SIMD, bitwise the same in float32 (same fields, same update), with
 * its moments in the shared memory. params and grad must be views into that memory too.
 */
export class WasmAdam implements Optimizer {
  readonly settings: OptimizerSettings;
  readonly m: Float32Array;
  readonly v: Float32Array;
  step = 0;

  constructor(
    private readonly backend: WasmModuleAndMemory,
    readonly options: AdamOptions,
    size: number,
    buffers: StateBuffers = (_name, length) => allocFloat32(backend.memory, length),
  ) {
    const { lr, beta1, beta2, eps } = options;
    this.settings = { kind: 'adam', lr, beta1, beta2, eps };
    this.m = buffers('adam_m', size) as Float32Array;
    this.v = buffers('adam_v', size) as Float32Array;
  }

  get buffers(): Readonly<Record<string, Float32Array>> {
    return { adam_m: this.m, adam_v: this.v };
  }

  update(params: Float32Array, grad: Float32Array): boolean {
    return this.updateBlock(params, grad, 0, params.length, ++this.step);
  }

  updateBlock(params: Float32Array, grad: Float32Array, first: number, last: number, t: number): boolean {
    const n = params.length;
    const { memory } = this.backend;
    const at = (view: Float32Array, what: string) => addressOf(memory, view, what, n) + first * 4;
    const { beta1, beta2, eps } = this.options;
    const lrT = adamStepSize(this.options, t);
    return cachedKernels(this.backend).adamUpdate(at(params, 'params'), at(grad, 'grad'), at(this.m, 'Adam m'), at(this.v, 'Adam v'), last - first, lrT, beta1, beta2, 1 - beta1, 1 - beta2, eps) !== 0;
  }
}
