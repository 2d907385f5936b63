import { describe, expect, it } from 'vitest';
import {
  completeSpec,
  deriveStackDims,
  formatCompact,
  ModelSpecError,
  parseCompact,
  parseDescription,
  parseSpecJson,
  PRESET_NAMES,
  PRESETS,
  specToJson,
} from '../src/model/stack/index.js';
import { readNpzString } from './helpers/npz-string.js';

const golden = (name: string) => new URL(`../../shared/golden/general/${name}.npz`, import.meta.url).pathname;
const MNIST = { input: [1, 28, 28] as const, classes: 10 };

/** The error a description raises, from parsing through the shape checks on `data`. */
function errorOf(description: string, data: { input: readonly [number, number, number]; classes: number } = MNIST): ModelSpecError {
  try {
    deriveStackDims(completeSpec(parseDescription(description), data));
  } catch (e) {
    expect(e).toBeInstanceOf(ModelSpecError);
    expect((e as Error).message, 'one line').not.toMatch(/\n/);
    return e as ModelSpecError;
  }
  throw new Error(`'${description}' raised no error`);
}

describe('presets', () => {
  it.each([
    ['seed', 9_586],
    ['opacus-mnist', 26_010],
    ['opacus-mnist-tanh', 26_010],
    ['lenet5', 61_706],
  ])('%s on x=[1,28,28] classes=10 has %i parameters', (name, parameters) => {
    expect(deriveStackDims(completeSpec(parseDescription(name), MNIST)).parameters).toBe(parameters);
  });
  it('every preset is in the canonical compact form', () => {
    for (const name of PRESET_NAMES) expect(formatCompact(parseCompact(PRESETS[name]).layers)).toBe(PRESETS[name]);
  });
  it('opacus-mnist on MNIST is the golden opacus_mnist spec, key for key', async () => {
    const spec = completeSpec(parseDescription('opacus-mnist'), MNIST);
    expect(specToJson(spec)).toEqual(JSON.parse(await readNpzString(golden('opacus_mnist'), 'spec')));
  });
});

describe('compact form', () => {
  const canonical = [
    'conv16k8s2p3,relu,maxpool2s1,conv32k4s2,relu,maxpool2s1,flatten,dense32,relu,dense10',
    'conv6k5x3p2x1,tanh,maxpool2,conv8k3s2x1,relu,maxpool3x2s1x2,flatten,dense16,tanh,dense',
    'relu,conv1k1p1,flatten,dense',
  ];
  it.each(canonical)('%s prints back as itself', (text) => {
    const list = parseCompact(text);
    expect(formatCompact(list.layers)).toBe(text);
    expect(parseCompact(formatCompact(list.layers))).toEqual(list);
  });
  it.each([
    ['conv16k8x8s1x1p0 , relu  maxpool2s2,flatten,dense', 'conv16k8,relu,maxpool2,flatten,dense'],
    ['conv16p3s2k8', 'conv16k8s2p3'],
    ['maxpool3x3s1', 'maxpool3s1'],
  ])('%s reads as %s (defaults, spaces, option order)', (text, printed) => {
    expect(formatCompact(parseCompact(text).layers)).toBe(printed);
  });
  it('conv6k5x3s2x1p2x1 is 6 channels, a 5x3 kernel, stride (2,1), padding (2,1)', () => {
    expect(parseCompact('conv6k5x3s2x1p2x1').layers[0]).toEqual({ type: 'conv', out: 6, kernel: [5, 3], stride: [2, 1], padding: [2, 1] });
  });
  it('maxpool3x2 steps by its own size, dense leaves its width to the data', () => {
    expect(parseCompact('maxpool3x2,dense').layers).toEqual([{ type: 'maxpool', kernel: [3, 2], stride: [3, 2] }, { type: 'dense' }]);
    expect(completeSpec(parseCompact('flatten,dense'), MNIST).layers[1]).toEqual({ type: 'dense', out: 10 });
  });
});

describe('JSON form', () => {
  it.each(['opacus_mnist', 'odd_rgb_tanh'])('the golden %s spec reads and writes back key for key', async (name) => {
    const text = await readNpzString(golden(name), 'spec');
    const list = parseSpecJson(text);
    expect(specToJson(list)).toEqual(JSON.parse(text));
    expect(parseDescription(text)).toEqual(list);
  });
  it('the golden odd_rgb_tanh spec in the compact form', async () => {
    const list = parseSpecJson(await readNpzString(golden('odd_rgb_tanh'), 'spec'));
    expect(formatCompact(list.layers)).toBe('conv6k5x3p2x1,tanh,maxpool2,conv8k3s2x1,relu,maxpool3x2s1x2,flatten,dense16,tanh,dense5');
  });
  it('one integer for both axes, PyTorch defaults for stride and padding, no input or classes', () => {
    const list = parseSpecJson('{"layers": [{"type": "conv", "out": 4, "kernel": 3}, {"type": "maxpool", "kernel": [2, 3]}, {"type": "flatten"}, {"type": "dense"}]}');
    expect(formatCompact(list.layers)).toBe('conv4k3,maxpool2x3,flatten,dense');
    expect(list.input).toBeUndefined();
    expect(list.classes).toBeUndefined();
  });
});

describe('bad descriptions: one line naming the layer and what is wrong', () => {
  it.each([
    // Unknown layers and options.
    ['batchnorm', null, /'batchnorm' is neither a preset \(seed, opacus-mnist.*\) nor a layer/],
    ['conv8k3,relu,softmax', 3, /unknown layer 'softmax'/],
    ['conv16k3q2,flatten,dense', 1, /unknown option 'q2' \(conv takes k kernel, s stride, p padding\)/],
    ['maxpool2p1', 1, /unknown option 'p1' \(maxpool takes s stride\)/],
    ['relu2', 1, /relu takes no sizes or options/],
    ['conv16k3s2s1', 1, /stride \(s\) is given twice/],
    ['conv16', 1, /conv needs a kernel size after k/],
    ['relu,,dense', 2, /empty layer/],
    // Sizes that are zero, negative or not integers.
    ['conv0k3,flatten,dense', 1, /output channels must be at least 1, got 0/],
    ['conv4k-3,flatten,dense', 1, /kernel must not be negative, got -3/],
    ['conv4k2.5,flatten,dense', 1, /kernel must be an integer, got 2.5/],
    ['conv4k3.,flatten,dense', 1, /unknown option '\.'/],
    ['conv4k3s0,flatten,dense', 1, /stride must be at least 1, got 0/],
    ['conv4k3x0,flatten,dense', 1, /kernel width must be at least 1, got 0/],
    ['flatten,dense0', 2, /width must be at least 1, got 0/],
    // Signs and fractions that pass as whole numbers: the grammar's sizes are digits.
    ['conv16k+3,flatten,dense', 1, /kernel must be written in digits only, got '\+3'/],
    ['conv16k3.0,flatten,dense', 1, /kernel must be written in digits only, got '3\.0'/],
    ['conv16k3p-0,flatten,dense', 1, /padding must be written in digits only, got '-0'/],
    // 400 digits read as Infinity, which is no reason to say "got null".
    [`flatten,dense${'9'.repeat(400)}`, 2, /dense's width is too large$/],
    // Only the last dense layer may leave its width out.
    ['flatten,dense,relu,dense', 2, /only the last dense layer may leave out its width/],
  ])('%s: layer %s', (description, layer, problem) => {
    const e = errorOf(description);
    expect(e.layer).toBe(layer);
    expect(e.message).toMatch(problem);
    if (layer !== null) expect(e.message.startsWith(`layer ${layer} (`)).toBe(true);
  });
  it.each([
    // A kernel or pool larger than its (padded) input: the output would shrink to nothing.
    ['conv4k29,flatten,dense', 1, 'the 29x29 kernel is larger than its 28x28 input (the image), so the output would be empty'],
    ['conv4k31p1,flatten,dense', 1, 'the 31x31 kernel is larger than its 28x28 input, 30x30 padded (the image)'],
    ['conv4k8s4,maxpool5,maxpool3,flatten,dense', 3, 'the 3x3 pool is larger than its 1x1 input (the output of layer 2)'],
    ['conv16k8s2p3,maxpool2s1,conv32k4s2,maxpool6,flatten,dense', 4, 'the 6x6 pool is larger than its 5x5 input (the output of layer 3)'],
    // Flatten is required before dense, and nothing spatial after it.
    ['conv4k3,dense', 2, 'dense needs a flat input, but the output of layer 1 is (4,26,26): put a flatten before it'],
    ['dense', 1, 'dense needs a flat input, but the image is (1,28,28): put a flatten before it'],
    ['flatten,conv2k3,dense', 2, 'conv needs a (channels,height,width) input, but the output of layer 1 is flat (784 values)'],
    // The last dense layer's width is the class count.
    ['flatten,dense32,relu,dense12', 4, 'the last dense layer has 12 outputs but the data has 10 classes'],
    ['conv4k3', 1, 'the network ends in a (4,26,26) output; it must end in 10 class scores'],
    ['conv1k19,flatten', 2, 'the network ends in 100 values but the data has 10 classes'],
  ])('%s on x=[1,28,28] classes=10: layer %i', (description, layer, problem) => {
    const e = errorOf(description);
    expect(e.layer).toBe(layer);
    expect(e.message).toContain(problem);
  });
  it.each([
    ['{"layers": [{"type": "relu"},]}', "the JSON description does not parse at line 1, column 30: Unexpected token ']'"],
    ['{"layers": [1,}', "the JSON description does not parse at line 1, column 15: Unexpected token '}'"],
    ['{"layers":\n  [{"type": "relu"}]\n  "classes": 3}', 'the JSON description does not parse at line 3, column 3'],
    ['{"layers": []}', 'the JSON description needs "layers": a non-empty array of layers'],
    ['{"layer": []}', 'unknown key "layer" in the JSON description'],
    ['{"input": [28, 28], "layers": [{"type": "flatten"}]}', '"input" must be [channels, height, width], got [28,28]'],
    ['{"classes": 1, "layers": [{"type": "flatten"}]}', '"classes" must be at least 2, got 1'],
    ['{"classes": 1e400, "layers": [{"type": "flatten"}]}', '"classes" is too large'],
    // V8 words trailing text "... after JSON at position N"; the line and column say where.
    ['{"layers": [{"type": "flatten"}]} x', 'the JSON description does not parse at line 1, column 35: Unexpected non-whitespace character'],
    // Text that ends too soon goes wrong just past its end.
    ['{"layers":[', 'the JSON description does not parse at line 1, column 12: Unexpected end of JSON input'],
    // JSON.parse keeps the last of two equal keys: a slip that would change the network without a word.
    ['{"layers": [{"type": "conv", "out": 4, "kernel": 3, "padding": 1, "padding": 0}]}', 'the JSON description gives "padding" twice in one object (line 1, column 67)'],
    ['{"layers": [{"type": "flatten"}], "layers": [{"type": "flatten"}]}', 'the JSON description gives "layers" twice in one object (line 1, column 35)'],
  ])('%s', (description, problem) => {
    expect(() => parseDescription(description)).toThrow(ModelSpecError);
    expect(errorOf(description).message).toContain(problem);
  });
  it.each([
    ['{"layers": [{"type": "flatten"}, {"type": "linear", "out": 3}]}', 2, 'unknown layer type "linear" (types: conv, maxpool, relu, tanh, flatten, dense)'],
    ['{"layers": [{"type": "conv", "out": 3, "kernel": 3, "pad": 1}]}', 1, 'unknown option "pad" of conv (options: out, kernel, stride, padding)'],
    ['{"layers": [{"type": "conv", "out": 3, "kernel": [3, 3, 3]}]}', 1, '"kernel" must be one integer or [height, width], got [3,3,3]'],
    ['{"layers": [{"type": "conv", "out": 3, "kernel": "3"}]}', 1, '"kernel" must be a number, got "3"'],
    ['{"layers": [{"type": "conv", "out": 3, "kernel": 3, "padding": -1}]}', 1, '"padding" must not be negative, got -1'],
    ['{"layers": [{"type": "conv", "kernel": 3}]}', 1, 'conv needs "out", its output channels'],
    ['{"layers": [{"out": 4, "kernel": 3}]}', 1, 'a layer needs "type" (one of conv, maxpool, relu, tanh, flatten, dense)'],
    ['{"layers": [{"type": "flatten"}, {"type": "dense", "out": 2.5}]}', 2, '"out" must be an integer, got 2.5'],
    // Names that every object inherits are not layer types.
    ['{"layers": [{"type": "constructor"}]}', 1, 'unknown layer type "constructor"'],
    ['{"layers": [{"type": "__proto__"}]}', 1, 'unknown layer type "__proto__"'],
  ])('%s: layer %i', (description, layer, problem) => {
    const e = errorOf(description);
    expect(e.layer).toBe(layer);
    expect(e.message).toContain(problem);
    expect(e.layerText).toBe(JSON.stringify(JSON.parse(description).layers[layer - 1]));
  });
  it('JSON: 1e400 is too large, and the layer shows it as Infinity rather than as null', () => {
    const e = errorOf('{"layers": [{"type": "flatten"}, {"type": "dense", "out": 1e400}]}');
    expect(e.message).toBe('layer 2 ({"type":"dense","out":Infinity}): "out" is too large');
  });
  it('JSON: a layer nested past what JSON.stringify can recurse is named in a short line, not a stack overflow', () => {
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    const e = errorOf(`{"layers": [{"type": "flatten"}, {"type": "dense", "out": 10, "x": ${deep}}]}`);
    expect(e.message).toBe('layer 2 ({...}): unknown option "x" of dense (options: out)');
    const wide = errorOf(`{"layers": [{"type": "flatten"}, {"type": "dense", "x": "${'y'.repeat(5000)}"}]}`);
    expect(wide.message.length).toBeLessThan(150);
  });
  it('JSON: a byte order mark, as some editors write, is not part of the text', () => {
    expect(parseSpecJson('\uFEFF{"layers": [{"type": "flatten"}, {"type": "dense"}]}').layers).toHaveLength(2);
  });
  it('an empty JSON file goes wrong at line 1, column 1 (columns count from 1)', () => {
    expect(() => parseSpecJson('')).toThrow('the JSON description does not parse at line 1, column 1: Unexpected end of JSON input');
  });

  it('a network without parameters, whose output fits the classes, has nothing to train', () => {
    expect(errorOf('maxpool14x5s14x5,flatten').message).toBe('the network has no parameters to train: add a conv or dense layer');
  });

  it('equal keys in different objects, and strings that look like keys, are not repeats', () => {
    const text = '{"layers": [{"type": "conv", "out": 4, "kernel": 3}, {"type": "relu"}, {"type": "flatten"}, {"type": "dense", "out": 10}], "classes": 10}';
    expect(parseDescription(text).layers).toHaveLength(4);
  });

  it('a description for other images or classes than the data', () => {
    const text = '{"input": [3, 32, 32], "classes": 10, "layers": [{"type": "flatten"}, {"type": "dense"}]}';
    expect(errorOf(text).message).toBe("the description is for (3,32,32) images, but the data's are (1,28,28)");
    expect(errorOf(text, { input: [3, 32, 32], classes: 5 }).message).toBe('the description is for 10 classes, but the data has 5');
  });
});
