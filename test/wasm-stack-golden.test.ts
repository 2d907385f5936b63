import { beforeAll, describe, expect, it } from 'vitest';
import { allocFloat32, createWasmBackend, type WasmBackend, type WasmSimd, WasmStackNetwork } from '../src/kernels/wasm/index.js';
import { deriveStackDims } from '../src/model/stack/index.js';
import { readGeneralGolden, worstAgainstGolden } from './helpers/golden-general.js';

// Computed by PyTorch autograd in float64, outside this project (../shared/golden/README.md,
// general/); test/stack-golden.test.ts holds the TypeScript reference to the same files.

/** Worst relative error per key of a wasm network's per-sample logits, losses and gradients. */
async function compare(name: string, backend: WasmBackend, plain: boolean): Promise<Record<string, number>> {
  const golden = await readGeneralGolden(name);
  const net = WasmStackNetwork.create(backend, deriveStackDims(golden.spec), { plain });
  const params = allocFloat32(backend.memory, net.layout.total);
  for (const t of net.layout.tensors) params.set(golden.get(t.name).data as Float64Array, t.offset);
  net.prepare(params);
  return worstAgainstGolden(golden, net, params, allocFloat32(backend.memory, net.layout.total), new Float32Array(golden.spec.classes));
}

describe.each(['simd', 'relaxed-simd-fma'] as WasmSimd[])('WasmStackNetwork %s = PyTorch autograd (golden/general, 8 samples each)', (variant) => {
  let backend: WasmBackend | undefined;
  beforeAll(async () => {
    const auto = await createWasmBackend({ simd: variant === 'simd' ? 'simd' : 'auto' });
    backend = auto.simd === variant ? auto : undefined;
  });
  for (const name of ['opacus_mnist', 'odd_rgb_tanh']) {
    for (const plain of [false, true]) {
      it(`${name}${plain ? ' (plain versions)' : ''} to 1e-4 relative`, async (ctx) => {
        if (!backend) return ctx.skip();
        const worst = await compare(name, backend, plain);
        console.log(variant, name, plain ? 'plain' : 'fast', Object.fromEntries(Object.entries(worst).map(([k, e]) => [k, e.toExponential(1)])));
        for (const [key, e] of Object.entries(worst)) expect(e, key).toBeLessThan(1e-4);
      });
    }
  }
});
