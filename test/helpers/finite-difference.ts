import { expect } from 'vitest';
import type { ImageSource, SampleKernels } from '../../src/kernels/sample-kernels.js';
import { allocFloat } from '../../src/model/float-array.js';
import { softmaxCrossEntropy } from '../../src/model/softmax-cross-entropy.js';
import { gradientOf } from './slot-gradient.js';

/** A float64 network with its parameters and images, as the random-model helpers make them. */
export interface FiniteDifferenceCase {
  readonly net: SampleKernels & { readonly layout: { readonly total: number; readonly tensors: readonly { name: string; offset: number; length: number }[] } };
  readonly params: Float64Array;
  readonly images: ImageSource;
  readonly classes: number;
  readonly sample: number;
  readonly label: number;
}

/**
 * Central differences (h = 1e-6) of one sample's loss against every parameter, or `perTensor`
 * of each tensor's entries chosen by `pick`: within 1e-6 of the largest gradient entry, which must
 * not be zero (else the check would prove nothing).
 */
export function expectFiniteDifferences(c: FiniteDifferenceCase, perTensor: number | null, pick: () => number): void {
  const { net, params, images, classes, sample, label } = c;
  const slot = allocFloat('float64', net.slots.length);
  const logits = allocFloat('float64', classes);
  const lossAt = (): number => {
    net.sampleLogits(params, images, sample, logits);
    return softmaxCrossEntropy(null, logits, label, classes);
  };
  const loss = net.sampleGradient(params, images, sample, label, slot);
  const grad = gradientOf(net, slot);
  expect(loss).toBeCloseTo(lossAt(), 14);
  const h = 1e-6;
  for (const t of net.layout.tensors) {
    const indices =
      perTensor === null || perTensor >= t.length ? Array.from({ length: t.length }, (_, i) => i) : Array.from({ length: perTensor }, () => Math.floor(pick() * t.length));
    let maxErr = 0;
    let maxGrad = 0;
    for (const i of indices) {
      const at = t.offset + i;
      const saved = params[at];
      params[at] = saved + h;
      const up = lossAt();
      params[at] = saved - h;
      const down = lossAt();
      params[at] = saved;
      maxErr = Math.max(maxErr, Math.abs((up - down) / (2 * h) - grad[at]));
      maxGrad = Math.max(maxGrad, Math.abs(grad[at]));
    }
    expect(maxGrad, `${t.name} gradient is all zero: the check would prove nothing`).toBeGreaterThan(1e-6);
    expect(maxErr / maxGrad, t.name).toBeLessThan(1e-6);
  }
}
