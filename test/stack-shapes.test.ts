import { describe, expect, it } from 'vitest';
import { deriveDims, SEED_MODEL } from '../src/model/config.js';
import { parameterLayout } from '../src/model/parameters.js';
import { completeSpec, deriveStackDims, formatSummary, parseDescription, parseSpecJson, sequentialLayout, summarize } from '../src/model/stack/index.js';
import { readNpzString } from './helpers/npz-string.js';

const golden = (name: string) => new URL(`../../shared/golden/general/${name}.npz`, import.meta.url).pathname;
const dimsOf = (description: string, input: [number, number, number] = [1, 28, 28], classes = 10) =>
  deriveStackDims(completeSpec(parseDescription(description), { input, classes }));

describe('shapes and counts', () => {
  it('opacus-mnist x=[1,28,28]: (H + 2p - k) / s + 1 at each layer, 26,010 parameters', () => {
    const d = dimsOf('opacus-mnist');
    expect(d.layers.map((l) => l.output)).toEqual([[16, 14, 14], [16, 14, 14], [16, 13, 13], [32, 5, 5], [32, 5, 5], [32, 4, 4], [512], [32], [32], [10]]);
    expect(d.layers.map((l) => l.parameters)).toEqual([1040, 0, 0, 8224, 0, 0, 0, 16416, 0, 330]);
    expect(d.parameters).toBe(26_010);
  });
  it('golden odd_rgb_tanh x=[3,20,24]: 2,097 parameters, the Sequential names and shapes of the file', async () => {
    const list = parseSpecJson(await readNpzString(golden('odd_rgb_tanh'), 'spec'));
    const d = deriveStackDims(completeSpec(list, { input: [3, 20, 24], classes: 5 }));
    expect(d.layers.map((l) => l.output)).toEqual([[6, 20, 24], [6, 20, 24], [6, 10, 12], [8, 4, 10], [8, 4, 10], [8, 2, 5], [80], [16], [16], [5]]);
    expect(d.parameters).toBe(2_097);
    expect(sequentialLayout(d).tensors.map((t) => [t.name, t.shape])).toEqual([
      ['0.weight', [6, 3, 5, 3]],
      ['0.bias', [6]],
      ['3.weight', [8, 6, 3, 3]],
      ['3.bias', [8]],
      ['7.weight', [16, 80]],
      ['7.bias', [16]],
      ['9.weight', [5, 16]],
      ['9.bias', [5]],
    ]);
  });
  it('parameters lie in layer order, weight then bias, with no gaps', () => {
    const layout = sequentialLayout(dimsOf('opacus-mnist'));
    let offset = 0;
    for (const t of layout.tensors) {
      expect(t.offset, t.name).toBe(offset);
      expect(t.length).toBe(t.shape.reduce((a, b) => a * b, 1));
      offset += t.length;
    }
    expect(layout.total).toBe(26_010);
  });
  it.each([
    [[1, 28, 28], 10],
    [[1, 13, 17], 4],
  ] as const)("seed preset on x=%j classes=%i: the seed network's parameter count and multiply-adds", (input, classes) => {
    const stack = dimsOf('seed', [...input], classes);
    const seed = deriveDims({ ...SEED_MODEL, imageHeight: input[1], imageWidth: input[2], classes });
    expect(stack.parameters).toBe(parameterLayout(seed).total);
    expect(stack.multiplyAddsPerSample).toBe(seed.multiplyAddsPerSample);
    // Same tensor sizes in the same order; only names and shapes differ (kern (16,8,8) is 0.weight (16,1,8,8)).
    expect(sequentialLayout(stack).tensors.map((t) => t.length)).toEqual(parameterLayout(seed).tensors.map((t) => t.length));
  });
  it('seed preset on x=[1,28,28]: 9,586 parameters', () => expect(dimsOf('seed').parameters).toBe(9_586));
  it('relu,conv2k3,flatten,dense x=[1,5,5]: no input gradient before the first parameters, so the first conv costs 2 passes, the dense 3', () => {
    const d = dimsOf('relu,conv2k3,flatten,dense', [1, 5, 5], 3);
    expect(d.layers.map((l) => l.needsInputGradient)).toEqual([false, false, true, true]);
    expect(d.layers.map((l) => l.multiplyAdds)).toEqual([0, 2 * 2 * 9 * 9, 0, 3 * 18 * 3]);
  });
});

describe('summary', () => {
  it('opacus-mnist: rows of position, layer, output, parameters, multiply-adds, and the totals', () => {
    const s = summarize(dimsOf('opacus-mnist'));
    expect(s.rows[0]).toEqual({ position: 1, layer: 'conv16k8s2p3', output: [16, 14, 14], parameters: 1040, multiplyAdds: 16 * 14 * 14 * 64 });
    expect(s.rows[9]).toEqual({ position: 10, layer: 'dense10', output: [10], parameters: 330, multiplyAdds: 320 });
    expect(s.parameters).toBe(26_010);
    expect(s.forwardMultiplyAdds).toBe(200_704 + 204_800 + 16_384 + 320);
    // Backward: weight gradients everywhere, input gradients for all but the first layer.
    expect(s.trainingMultiplyAdds).toBe(2 * 200_704 + 3 * (204_800 + 16_384 + 320));
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
  it('opacus-mnist as a text table', () => {
    expect(formatSummary(summarize(dimsOf('opacus-mnist')))).toBe(
      [
        'input 1x28x28, 10 classes',
        ' #  layer         output    parameters  multiply-adds',
        '-----------------------------------------------------',
        ' 1  conv16k8s2p3  16x14x14       1,040        200,704',
        ' 2  relu          16x14x14           0              0',
        ' 3  maxpool2s1    16x13x13           0              0',
        ' 4  conv32k4s2    32x5x5         8,224        204,800',
        ' 5  relu          32x5x5             0              0',
        ' 6  maxpool2s1    32x4x4             0              0',
        ' 7  flatten       512                0              0',
        ' 8  dense32       32            16,416         16,384',
        ' 9  relu          32                 0              0',
        '10  dense10       10               330            320',
        '-----------------------------------------------------',
        'parameters: 26,010',
        'multiply-adds per sample: 422,208 forward, 1,065,920 forward and backward',
      ].join('\n'),
    );
  });
});
