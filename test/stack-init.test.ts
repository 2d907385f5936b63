import { describe, expect, it } from 'vitest';
import { allocFloat } from '../src/model/float-array.js';
import { completeSpec, deriveStackDims, initStackParameters, parseDescription, sequentialLayout, weightScale } from '../src/model/stack/index.js';
import { createRandomStreams } from '../src/rng/streams.js';

const dimsOf = (description: string, input: [number, number, number] = [1, 28, 28], classes = 10) =>
  deriveStackDims(completeSpec(parseDescription(description), { input, classes }));

describe('stack init: He-normal before ReLU, Glorot-normal otherwise, zero biases', () => {
  it('opacus-mnist: He for 0, 3 and 7 (followed by relu), Glorot for the output layer 9', () => {
    const d = dimsOf('opacus-mnist');
    expect([1, 4, 8, 10].map((p) => weightScale(d, p))).toEqual([
      { rule: 'he', std: Math.sqrt(2 / 64) },
      { rule: 'he', std: Math.sqrt(2 / (16 * 16)) },
      { rule: 'he', std: Math.sqrt(2 / 512) },
      { rule: 'glorot', std: Math.sqrt(2 / (32 + 10)) },
    ]);
  });
  it('opacus-mnist-tanh: Glorot everywhere, conv fans in*kh*kw and out*kh*kw', () => {
    const d = dimsOf('opacus-mnist-tanh');
    expect([1, 4, 8, 10].map((p) => weightScale(d, p))).toEqual([
      { rule: 'glorot', std: Math.sqrt(2 / (64 + 16 * 64)) },
      { rule: 'glorot', std: Math.sqrt(2 / (16 * 16 + 32 * 16)) },
      { rule: 'glorot', std: Math.sqrt(2 / (512 + 32)) },
      { rule: 'glorot', std: Math.sqrt(2 / (32 + 10)) },
    ]);
  });
  it('conv4k3,maxpool2,flatten,relu,dense: ReLU after a pool and a flatten still counts (they commute with it)', () => {
    expect(weightScale(dimsOf('conv4k3,maxpool2,flatten,relu,dense'), 1).rule).toBe('he');
    expect(weightScale(dimsOf('conv4k3,maxpool2,tanh,relu,flatten,dense'), 1).rule).toBe('glorot');
  });
  it('draws weights in layer order, each in (out,in,kh,kw) order, none for biases', () => {
    const d = dimsOf('conv2k3x2,relu,flatten,dense', [1, 4, 3], 3);
    const layout = sequentialLayout(d);
    const params = allocFloat('float64', layout.total).fill(9);
    let draws = 0;
    initStackParameters(params, layout, d, { initNormal: () => ++draws });
    const [w0, b0, w3, b3] = layout.tensors;
    expect(draws).toBe(w0.length + w3.length);
    const s0 = Math.sqrt(2 / 6);
    const s3 = Math.sqrt(2 / (w3.shape[1] + 3));
    expect(Array.from(params.subarray(w0.offset, w0.offset + w0.length))).toEqual(Array.from({ length: 12 }, (_, i) => (i + 1) * s0));
    expect(Array.from(params.subarray(b0.offset, b0.offset + b0.length))).toEqual([0, 0]);
    expect(Array.from(params.subarray(w3.offset, w3.offset + w3.length))).toEqual(Array.from({ length: w3.length }, (_, i) => (13 + i) * s3));
    expect(Array.from(params.subarray(b3.offset, b3.offset + b3.length))).toEqual([0, 0, 0]);
  });
  it("opacus-mnist with numpy's stream, seed 3: bitwise np.random.seed(3); np.random.randn(*shape) * std per weight", () => {
    // Printed by numpy 2.4 (legacy RandomState): np.random.seed(3), then randn for 0.weight, 3.weight, 7.weight, 9.weight
    // in turn, each times its std above.
    const d = dimsOf('opacus-mnist');
    const layout = sequentialLayout(d);
    const params = allocFloat('float64', layout.total);
    initStackParameters(params, layout, d, createRandomStreams('numpy', 3));
    const at = (name: string, i: number) => params[layout.tensors.find((t) => t.name === name)!.offset + i];
    expect([at('0.weight', 0), at('0.weight', 1023), at('3.weight', 0), at('7.weight', 100), at('9.weight', 0), at('9.weight', 319)]).toEqual([
      0.3161878306464802, 0.007342150926966805, -0.01892840861465312, -0.06380901815542052, -0.25419772174419075, -0.48838652358052204,
    ]);
  });
});
