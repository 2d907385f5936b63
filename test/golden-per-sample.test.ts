import { describe, expect, it } from 'vitest';
import { readNpz } from '../src/data/npz.js';
import { elementwiseRelativeError, relativeError } from './helpers/relative-error.js';
import { SEED_MODEL, deriveDims } from '../src/model/config.js';
import { allocFloat, type Dtype, type FloatArray } from '../src/model/float-array.js';
import { Network } from '../src/model/network.js';
import { averageSlots } from '../src/optim/average-slots.js';
import { gradientOf } from './helpers/slot-gradient.js';

// Computed by PyTorch autograd in float64, outside this project (../shared/golden/README.md).
const GOLDEN = new URL('../../shared/golden/per_sample_grads.npz', import.meta.url).pathname;


async function compare(dtype: Dtype) {
  const golden = await readNpz(GOLDEN);
  const get = (key: string) => {
    const a = golden.get(key);
    if (!a) throw new Error(`golden file lacks ${key}`);
    return a;
  };
  const dims = deriveDims({ ...SEED_MODEL, imageHeight: 28, imageWidth: 28, classes: 10 });
  const net = new Network(dims, dtype);
  const params = allocFloat(dtype, net.layout.total);
  for (const t of net.layout.tensors) {
    const g = get(t.name);
    expect(g.shape).toEqual(t.shape);
    params.set(g.data as Float64Array, t.offset);
  }
  const images = { pixels: get('images').data as Uint8Array, divisor: 255 };
  const labels = get('labels').data as BigInt64Array;
  const samples = get('images').shape[0];
  const slotLength = net.slots.length;
  const slots = allocFloat(dtype, samples * slotLength);
  const logits = allocFloat(dtype, 10);
  const worst: Record<string, number> = {};
  const note = (key: string, e: number) => (worst[key] = Math.max(worst[key] ?? 0, e));
  for (let i = 0; i < samples; i++) {
    const label = Number(labels[i]);
    const slot = slots.subarray(i * slotLength, (i + 1) * slotLength);
    const loss = net.sampleGradient(params, images, i, label, slot);
    const grad = gradientOf(net, slot);
    note('loss', elementwiseRelativeError([loss], [(get('loss').data as Float64Array)[i]]));
    net.sampleLogits(params, images, i, logits);
    note('logits', relativeError(logits, (get('logits').data as Float64Array).subarray(i * 10, (i + 1) * 10)));
    for (const t of net.layout.tensors) {
      const expected = (get(`g_${t.name}`).data as Float64Array).subarray(i * t.length, (i + 1) * t.length);
      note(`g_${t.name}`, relativeError(grad.subarray(t.offset, t.offset + t.length) as FloatArray, expected));
    }
  }
  // The batch's mean gradient, averaged the way the trainer does it.
  const mean = allocFloat(dtype, net.layout.total);
  averageSlots(mean, slots, net.slots, samples, new Float64Array(net.layout.total));
  for (const t of net.layout.tensors) {
    note(`gmean_${t.name}`, relativeError(mean.subarray(t.offset, t.offset + t.length), get(`gmean_${t.name}`).data as Float64Array));
  }
  console.log(`${dtype} worst relative error per key:`, Object.fromEntries(Object.entries(worst).map(([k, e]) => [k, e.toExponential(1)])));
  return worst;
}

describe('per-sample gradients = PyTorch autograd (golden/per_sample_grads.npz, 8 test images)', () => {
  it('float64 to 1e-9 relative', async () => {
    const worst = await compare('float64');
    for (const [key, e] of Object.entries(worst)) expect(e, key).toBeLessThan(1e-9);
  });
  it('float32 to 1e-4 relative', async () => {
    const worst = await compare('float32');
    for (const [key, e] of Object.entries(worst)) expect(e, key).toBeLessThan(1e-4);
  });
});
