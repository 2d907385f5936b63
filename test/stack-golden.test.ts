import { describe, expect, it } from 'vitest';
import { allocFloat, type Dtype } from '../src/model/float-array.js';
import { deriveStackDims, StackNetwork } from '../src/model/stack/index.js';
import { readGeneralGolden, worstAgainstGolden } from './helpers/golden-general.js';

// Computed by PyTorch autograd in float64, outside this project (../shared/golden/README.md, general/).

/** Per-sample logits, losses and gradients of a golden network, worst relative error per key. */
async function compare(name: string, dtype: Dtype): Promise<Record<string, number>> {
  const golden = await readGeneralGolden(name);
  const net = new StackNetwork(deriveStackDims(golden.spec), dtype);
  const params = allocFloat(dtype, net.layout.total);
  for (const t of net.layout.tensors) {
    const g = golden.get(t.name);
    expect(g.shape, t.name).toEqual(t.shape);
    params.set(g.data as Float64Array, t.offset);
  }
  expect(new Set(golden.keys)).toEqual(new Set(['images', 'labels', 'logits', 'loss', ...net.layout.tensors.flatMap((t) => [t.name, `g.${t.name}`])]));
  const worst = worstAgainstGolden(golden, net, params, allocFloat(dtype, net.layout.total), allocFloat(dtype, golden.spec.classes));
  console.log(`${name} ${dtype} worst relative error per key:`, Object.fromEntries(Object.entries(worst).map(([k, e]) => [k, e.toExponential(1)])));
  return worst;
}

for (const name of ['opacus_mnist', 'odd_rgb_tanh']) {
  describe(`stack per-sample gradients = PyTorch autograd (golden/general/${name}.npz, 8 samples)`, () => {
    it('float64 to 1e-9 relative', async () => {
      const worst = await compare(name, 'float64');
      for (const [key, e] of Object.entries(worst)) expect(e, key).toBeLessThan(1e-9);
    });
    it('float32 to 1e-4 relative', async () => {
      const worst = await compare(name, 'float32');
      for (const [key, e] of Object.entries(worst)) expect(e, key).toBeLessThan(1e-4);
    });
  });
}
