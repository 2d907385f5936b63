import type { AdamOptions } from '../../optim/adam.js';
import type { Optimizer, OptimizerSettings } from '../../optim/optimizer.js';
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
  ) {
    const { lr, beta1, beta2, eps } = options;
    this.settings = { kind: 'adam', lr, beta1, beta2, eps };
    this.m = allocFloat32(backend.memory, size);
    this.v = allocFloat32(backend.memory, size);
  }

  get buffers(): Readonly<Record<string, Float32Array>> {
    return { adam_m: this.m, adam_v: this.v };
  }

  update(params: Float32Array, grad: Float32Array): void {
    const n = params.length;
    const { memory } = this.backend;
    const at = {
      params: addressOf(memory, params, 'params', n),
      grad: addressOf(memory, grad, 'grad', n),
      m: addressOf(memory, this.m, 'Adam m', n),
      v: addressOf(memory, this.v, 'Adam v', n),
    };
    const { lr, beta1, beta2, eps } = this.options;
    const t = ++this.step;
    // The reference's expressions, evaluated in JS so that they round identically.
    const lrT = (lr * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
    cachedKernels(this.backend).adamUpdate(at.params, at.grad, at.m, at.v, n, lrT, beta1, beta2, 1 - beta1, 1 - beta2, eps);
  }
}
