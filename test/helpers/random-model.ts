import { deriveDims, type ModelConfig, type ModelDims } from '../../src/model/config.js';
import { allocFloat, type Dtype, type FloatArray } from '../../src/model/float-array.js';
import { Network } from '../../src/model/network.js';

/** A small deterministic generator for test inputs (not the project's RNG under test). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

export interface Case {
  name: string;
  config: ModelConfig;
}

/** Shapes named like tfjs tests: image HxW, conv FxKHxKW and stride, classes. */
export function caseName(c: ModelConfig): string {
  const k = (o: ModelConfig['conv1']) => `${o.filters}x${o.kernelHeight}x${o.kernelWidth} s${o.stride}`;
  return `x=[${c.imageHeight},${c.imageWidth}] conv1=${k(c.conv1)} conv2=${k(c.conv2)} classes=${c.classes}`;
}

export function makeModel(
  config: ModelConfig,
  dtype: Dtype,
  seed: number,
): { dims: ModelDims; net: Network; params: FloatArray; images: { pixels: Float64Array; divisor: number } } {
  const dims = deriveDims(config);
  const net = new Network(dims, dtype);
  const rand = lcg(seed);
  const params = allocFloat(dtype, net.layout.total);
  // Scales like the He init, plus small nonzero biases so that their gradients are exercised.
  for (const t of net.layout.tensors) {
    const scale = t.name.startsWith('k') && t.shape.length > 1 ? Math.sqrt(2 / (t.length / t.shape[0])) : 0.3;
    for (let i = 0; i < t.length; i++) params[t.offset + i] = (rand() * 2 - 1) * scale * 1.7;
  }
  const count = 4;
  const pixels = new Float64Array(count * config.imageHeight * config.imageWidth);
  for (let i = 0; i < pixels.length; i++) pixels[i] = rand();
  return { dims, net, params, images: { pixels, divisor: 1 } };
}
