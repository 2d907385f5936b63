import { describe, it } from 'vitest';
import type { ImageShape } from '../src/model/stack/spec.js';
import { expectFiniteDifferences } from './helpers/finite-difference.js';
import { lcg } from './helpers/random-model.js';
import { randomStack } from './helpers/random-stack.js';

interface Case {
  readonly layers: string;
  readonly input: ImageShape;
  readonly classes: number;
}

const cases: Case[] = [
  // Non-square kernel, padding on one axis, strides (2,1) and (1,2) that leave remainders, overlapping pool, relu then tanh.
  { layers: 'conv5k3x2s2x1p1x0,relu,maxpool3x2s1x2,conv4k2p1,tanh,flatten,dense6,relu,dense', input: [3, 11, 9], classes: 4 },
  // Stride 3x2 that does not divide, padding 2 wider than half the kernel, tanh everywhere.
  { layers: 'conv3k4x3s3x2p2,tanh,maxpool2s1,flatten,dense5,tanh,dense', input: [2, 13, 10], classes: 3 },
  // An activation before the first parameters (its input gradient is never needed), pool with gaps, two flattens.
  { layers: 'relu,conv2k3,maxpool2x3s3x1,relu,flatten,flatten,dense', input: [1, 9, 12], classes: 5 },
  // Dense layers only, on a several-channel image.
  { layers: 'flatten,dense7,tanh,dense6,relu,dense', input: [2, 3, 4], classes: 3 },
];

/** Central differences of one sample's loss against every parameter (or `perTensor` picked ones). */
function checkCase(c: Case, perTensor: number | null): void {
  const { net, params, images, dims } = randomStack(c.layers, c.input, c.classes, 'float64', 11);
  expectFiniteDifferences({ net, params: params as Float64Array, images, classes: dims.classes, sample: 1, label: 2 % dims.classes }, perTensor, lcg(5));
}

describe('stack per-sample gradient = central finite differences (float64)', () => {
  for (const c of cases) {
    it(`x=[${c.input}] ${c.layers} classes=${c.classes}`, () => checkCase(c, null));
  }
  it('x=[1,28,28] opacus-mnist-tanh classes=10 (30 entries per tensor)', () => checkCase({ layers: 'opacus-mnist-tanh', input: [1, 28, 28], classes: 10 }, 30));
  it('x=[1,28,28] opacus-mnist classes=10 (30 entries per tensor)', () => checkCase({ layers: 'opacus-mnist', input: [1, 28, 28], classes: 10 }, 30));
});
