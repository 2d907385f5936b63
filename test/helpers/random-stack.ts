import { allocFloat, type Dtype, type FloatArray } from '../../src/model/float-array.js';
import { completeSpec, deriveStackDims, initStackParameters, parseDescription, type StackDims, StackNetwork } from '../../src/model/stack/index.js';
import type { ImageShape } from '../../src/model/stack/spec.js';
import { lcg } from './random-model.js';

/** Standard normals from the test generator (Box-Muller), to stand in for the run's streams. */
export function testNormals(seed: number): { initNormal(): number } {
  const rand = lcg(seed);
  return { initNormal: () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()) };
}

export interface RandomStack {
  readonly dims: StackDims;
  readonly net: StackNetwork;
  readonly params: FloatArray;
  readonly images: { pixels: Float64Array; divisor: number };
}

/**
 * A stack described by `description` on `count` random images of `input`, with initialised
 * weights and small nonzero biases (zero biases would leave part of the backward pass untested).
 */
export function randomStack(description: string, input: ImageShape, classes: number, dtype: Dtype, seed: number, count = 3): RandomStack {
  const dims = deriveStackDims(completeSpec(parseDescription(description), { input, classes }));
  const net = new StackNetwork(dims, dtype);
  const params = allocFloat(dtype, net.layout.total);
  initStackParameters(params, net.layout, dims, testNormals(seed));
  const rand = lcg(seed + 1);
  for (const t of net.layout.tensors) {
    if (t.role === 'bias') for (let i = 0; i < t.length; i++) params[t.offset + i] = (rand() * 2 - 1) * 0.3;
  }
  const pixels = new Float64Array(count * dims.inputSize);
  for (let i = 0; i < pixels.length; i++) pixels[i] = rand();
  return { dims, net, params, images: { pixels, divisor: 1 } };
}
