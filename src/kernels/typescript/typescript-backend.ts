import { deriveDims } from '../../model/config.js';
import { allocSharedFloat, type Dtype, type FloatArray } from '../../model/float-array.js';
import type { Model } from '../../model/model.js';
import type { SlotLayout } from '../../model/slot-layout.js';
import { Network } from '../../model/network.js';
import { deriveStackDims, StackNetwork } from '../../model/stack/index.js';
import { Adam } from '../../optim/adam.js';
import { allocBatchSums, type BatchSums, JsSlotSum, type SlotSum } from '../../optim/average-slots.js';
import type { Optimizer, OptimizerSettings, StateBuffers } from '../../optim/optimizer.js';
import { Sgd } from '../../optim/sgd.js';
import { fillNormals, type NormalFill } from '../../rng/ziggurat.js';
import type { Backend, BackendHandle, MemoryLimit } from '../backend.js';
import { machineLimit } from '../../util/machine-memory.js';
import type { SampleKernels } from '../sample-kernels.js';

/**
 * The reference implementations, in either precision: the networks of model/ (the seed's, and
 * any layer stack), the slot sum and Adam of optim/. Shared values are plain SharedArrayBuffers.
 */
export class TypeScriptBackend implements Backend {
  readonly kind = 'typescript';
  readonly name = 'typescript';
  readonly handle: BackendHandle;

  constructor(readonly dtype: Dtype) {
    this.handle = { kind: 'typescript', dtype };
  }

  allocShared(length: number): FloatArray {
    return allocSharedFloat(this.dtype, length);
  }

  sampleKernels(model: Model): SampleKernels {
    if (model.kind === 'seed') return new Network(deriveDims(model.config), this.dtype);
    return new StackNetwork(deriveStackDims(model.spec), this.dtype);
  }

  /** The networks keep their scratch in their thread's own heap, which goes with the thread. */
  allocArea(): null {
    return null;
  }

  scratchBytes(model: Model): number {
    if (model.kind === 'seed') return Network.scratchBytes(deriveDims(model.config), this.dtype);
    return StackNetwork.scratchBytes(deriveStackDims(model.spec), this.dtype);
  }

  get memoryLimit(): MemoryLimit {
    return machineLimit();
  }

  allocBatchSums(parameterCount: number): BatchSums {
    return allocBatchSums(parameterCount);
  }

  slotSum(slots: FloatArray, layout: SlotLayout, sums: BatchSums): SlotSum {
    return new JsSlotSum(slots, layout, sums);
  }

  optimizer(settings: OptimizerSettings, parameterCount: number, buffers?: StateBuffers): Optimizer {
    if (settings.kind === 'adam') return new Adam(settings, this.dtype, parameterCount, buffers);
    return new Sgd(settings, this.dtype, parameterCount, buffers);
  }

  normalFill(): NormalFill {
    return fillNormals;
  }
}
