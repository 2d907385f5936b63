import { describe, expect, it } from 'vitest';
import { conv2dForward } from '../src/model/conv2d.js';
import { denseBackward, denseForward } from '../src/model/dense.js';
import { convBackward, convForward, convOutputSize, type PaddedConvDims } from '../src/model/layers/conv.js';
import { maxpoolBackward, maxpoolForward, type PoolDims } from '../src/model/layers/maxpool.js';
import { tanhBackward, tanhForward } from '../src/model/layers/tanh.js';
import { reluBackward, reluForward } from '../src/model/relu.js';
import { lcg } from './helpers/random-model.js';

const H_STEP = 1e-6;

function random(n: number, seed: number, scale = 1): Float64Array {
  const rand = lcg(seed);
  return Float64Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
}

/**
 * A layer alone, checked through L = sum_o r[o] * out[o] for a fixed random r: its backward pass
 * given dout = r must equal the central differences of L for every input and parameter.
 */
function checkAgainstDifferences(
  tensors: Record<string, Float64Array>,
  forward: () => Float64Array,
  backward: (dout: Float64Array) => Record<string, Float64Array>,
): void {
  const r = random(forward().length, 99);
  const lossAt = () => forward().reduce((a, v, o) => a + v * r[o], 0);
  const analytic = backward(r);
  for (const [name, values] of Object.entries(tensors)) {
    let maxErr = 0;
    let maxGrad = 0;
    for (let i = 0; i < values.length; i++) {
      const saved = values[i];
      values[i] = saved + H_STEP;
      const up = lossAt();
      values[i] = saved - H_STEP;
      const down = lossAt();
      values[i] = saved;
      maxErr = Math.max(maxErr, Math.abs((up - down) / (2 * H_STEP) - analytic[name][i]));
      maxGrad = Math.max(maxGrad, Math.abs(analytic[name][i]));
    }
    expect(maxGrad, `d${name} is all zero: the check would prove nothing`).toBeGreaterThan(1e-6);
    expect(maxErr / maxGrad, `d${name}`).toBeLessThan(1e-7);
  }
}

function convDims(C: number, H: number, W: number, F: number, KH: number, KW: number, [strideH, strideW]: number[], [padH, padW]: number[]): PaddedConvDims {
  return { C, H, W, F, KH, KW, strideH, strideW, padH, padW, OH: convOutputSize(H, KH, strideH, padH), OW: convOutputSize(W, KW, strideW, padW) };
}

function poolDims(C: number, H: number, W: number, KH: number, KW: number, [strideH, strideW]: number[]): PoolDims {
  return { C, H, W, KH, KW, strideH, strideW, OH: convOutputSize(H, KH, strideH, 0), OW: convOutputSize(W, KW, strideW, 0) };
}

const convCases: PaddedConvDims[] = [
  convDims(3, 7, 9, 4, 3, 2, [2, 3], [1, 2]),
  convDims(2, 6, 5, 3, 5, 4, [1, 1], [2, 0]),
  // Padding wider than the kernel's half: border outputs see only zeros and the bias.
  convDims(2, 4, 4, 2, 3, 3, [2, 2], [3, 3]),
  // The kernel covers the whole image: one output per filter.
  convDims(1, 5, 5, 3, 5, 5, [1, 1], [0, 0]),
];
const convName = (d: PaddedConvDims) => `x=[${d.C},${d.H},${d.W}] f=[${d.F},${d.C},${d.KH},${d.KW}] s=[${d.strideH},${d.strideW}] p=[${d.padH},${d.padW}]`;

describe('conv = central finite differences (float64)', () => {
  for (const d of convCases) {
    it(convName(d), () => {
      const inp = random(d.C * d.H * d.W, 1);
      const weight = random(d.F * d.C * d.KH * d.KW, 2);
      const bias = random(d.F, 3);
      const out = new Float64Array(d.F * d.OH * d.OW);
      checkAgainstDifferences(
        { inp, weight, bias },
        () => (convForward(out, inp, weight, bias, d), out),
        (dout) => {
          const g = { inp: new Float64Array(inp.length), weight: new Float64Array(weight.length), bias: new Float64Array(bias.length) };
          convBackward(g.inp, g.weight, g.bias, dout, inp, weight, d);
          return g;
        },
      );
    });
  }
  it('x=[2,6,5] f=[3,2,5,4] s=[1,1] p=[2,0]: gradients accumulate (+=), and dinp=null leaves the parameter gradients the same', () => {
    const d = convCases[1];
    const inp = random(d.C * d.H * d.W, 1);
    const weight = random(d.F * d.C * d.KH * d.KW, 2);
    const dout = random(d.F * d.OH * d.OW, 4);
    const once = { inp: new Float64Array(inp.length), weight: new Float64Array(weight.length), bias: new Float64Array(d.F) };
    convBackward(once.inp, once.weight, once.bias, dout, inp, weight, d);
    const twice = { inp: new Float64Array(inp.length), weight: new Float64Array(weight.length), bias: new Float64Array(d.F) };
    convBackward(twice.inp, twice.weight, twice.bias, dout, inp, weight, d);
    convBackward(null, twice.weight, twice.bias, dout, inp, weight, d);
    expect(Array.from(twice.weight)).toEqual(Array.from(once.weight, (v) => v + v));
    expect(Array.from(twice.bias)).toEqual(Array.from(once.bias, (v) => v + v));
    expect(Array.from(twice.inp)).toEqual(Array.from(once.inp));
  });
  it("x=[2,11,8] f=[3,2,3,2] s=2 p=0: bitwise the seed's conv2dForward, its special case", () => {
    const d = convDims(2, 11, 8, 3, 3, 2, [2, 2], [0, 0]);
    const inp = new Float32Array(random(2 * 11 * 8, 5));
    const weight = new Float32Array(random(3 * 2 * 3 * 2, 6));
    const bias = new Float32Array(random(3, 7));
    const ours = new Float32Array(d.F * d.OH * d.OW);
    const seeds = new Float32Array(ours.length);
    convForward(ours, inp, weight, bias, d);
    conv2dForward(seeds, inp, weight, bias, { C: 2, H: 11, W: 8, F: 3, KH: 3, KW: 2, stride: 2, OH: d.OH, OW: d.OW });
    expect(ours).toEqual(seeds);
  });
});

const poolCases: PoolDims[] = [
  // Overlapping windows (stride below the pool size) on one axis, gaps on the other.
  poolDims(2, 7, 9, 3, 2, [1, 3]),
  poolDims(3, 6, 6, 2, 2, [2, 2]),
  poolDims(1, 5, 7, 4, 4, [1, 1]),
];

describe('maxpool = central finite differences (float64, no ties)', () => {
  for (const d of poolCases) {
    it(`x=[${d.C},${d.H},${d.W}] k=[${d.KH},${d.KW}] s=[${d.strideH},${d.strideW}]`, () => {
      const inp = random(d.C * d.H * d.W, 8);
      const out = new Float64Array(d.C * d.OH * d.OW);
      const argmax = new Int32Array(out.length);
      checkAgainstDifferences(
        { inp },
        () => (maxpoolForward(out, argmax, inp, d), out),
        (dout) => {
          const dinp = new Float64Array(inp.length);
          maxpoolBackward(dinp, dout, argmax, d);
          return { inp: dinp };
        },
      );
    });
  }
});

describe("maxpool ties and NaN as PyTorch's CPU kernel", () => {
  const d = poolDims(1, 2, 3, 2, 2, [1, 1]);
  const pool = (values: number[]) => {
    const out = new Float64Array(2);
    const argmax = new Int32Array(2);
    maxpoolForward(out, argmax, Float64Array.from(values), d);
    return { out: Array.from(out), argmax: Array.from(argmax) };
  };
  it('x=[1,2,3] k=2 s=1 [[1,3,3],[3,0,3]]: each window takes its first maximum in row-major order', () => {
    // Window 0 holds 1,3 / 3,0: the 3 at (0,1). Window 1 holds 3,3 / 0,3: the 3 at (0,1) too.
    expect(pool([1, 3, 3, 3, 0, 3])).toEqual({ out: [3, 3], argmax: [1, 1] });
  });
  it('x=[1,2,3] k=2 s=1: overlapping windows that share their maximum add both gradients into it', () => {
    const inp = Float64Array.from([1, 3, 3, 3, 0, 3]);
    const out = new Float64Array(2);
    const argmax = new Int32Array(2);
    maxpoolForward(out, argmax, inp, d);
    const dinp = new Float64Array(6);
    maxpoolBackward(dinp, Float64Array.from([0.5, 0.25]), argmax, d);
    expect(Array.from(dinp)).toEqual([0, 0.75, 0, 0, 0, 0]);
  });
  it('x=[1,2,3] k=2 s=1 [[1,NaN,2],[5,0,-inf]]: a NaN is the maximum of its windows', () => {
    const { out, argmax } = pool([1, NaN, 2, 5, 0, -Infinity]);
    expect(out).toEqual([NaN, NaN]);
    expect(argmax).toEqual([1, 1]);
  });
  it('x=[1,2,3] k=2 s=1 all -inf: the first position, as PyTorch initialises its index', () => {
    expect(pool(Array(6).fill(-Infinity))).toEqual({ out: [-Infinity, -Infinity], argmax: [0, 1] });
  });
});

describe('activations and dense = central finite differences (float64)', () => {
  // Away from relu's kink at 0, where a difference quotient means nothing.
  const inp = random(24, 9).map((v) => (Math.abs(v) < 0.05 ? v + 0.1 : v));
  it('relu x=[24]', () => {
    const out = new Float64Array(24);
    checkAgainstDifferences(
      { inp },
      () => (reluForward(out, inp, 24), out),
      (dout) => {
        const dinp = new Float64Array(24);
        reluBackward(dinp, dout, out, 24);
        return { inp: dinp };
      },
    );
  });
  it('tanh x=[24]', () => {
    const out = new Float64Array(24);
    const x = inp.map((v) => v * 3);
    checkAgainstDifferences(
      { x },
      () => (tanhForward(out, x, 24), out),
      (dout) => {
        const dinp = new Float64Array(24);
        tanhBackward(dinp, dout, out, 24);
        return { x: dinp };
      },
    );
  });
  it('relu at 0 passes no gradient, as PyTorch', () => {
    const out = new Float64Array(1);
    reluForward(out, Float64Array.of(0), 1);
    const dinp = new Float64Array(1);
    reluBackward(dinp, Float64Array.of(1), out, 1);
    expect(dinp[0]).toBe(0);
  });
  it('dense x=[7] w=[5,7]', () => {
    const x = random(7, 10);
    const weight = random(35, 11);
    const bias = random(5, 12);
    const out = new Float64Array(5);
    checkAgainstDifferences(
      { x, weight, bias },
      () => (denseForward(out, x, weight, bias, 7, 5), out),
      (dout) => {
        const g = { x: new Float64Array(7), weight: new Float64Array(35), bias: new Float64Array(5) };
        denseBackward(g.x, g.weight, g.bias, dout, x, weight, 7, 5);
        return g;
      },
    );
  });
});
