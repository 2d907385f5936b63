import { describe, expect, it } from 'vitest';
import { createBackend } from '../src/kernels/index.js';
import { loadEmbeddedMnist } from '../src/data/embedded-mnist.js';
import { takeFirst } from '../src/data/dataset.js';
import { buildModel, modelShape } from '../src/model/model.js';
import { SEED_MODEL } from '../src/model/config.js';
import { createSharedState } from '../src/parallel/shared-state.js';

describe('createSharedState', () => {
  it('refuses clipping without measuring, which the threads would skip and so train unclipped', async () => {
    const backend = await createBackend('typescript', 'float64');
    const data = loadEmbeddedMnist();
    const model = buildModel({ kind: 'seed', options: SEED_MODEL }, { input: [1, 28, 28], classes: 10 });
    const [train, test] = [takeFirst(data.train, 10), takeFirst(data.test, 10)];
    const make = (measureNorms: boolean) => createSharedState(model, backend, train, test, modelShape(model), 4, { measureNorms, clipNorm: 1, noise: null });
    expect(() => make(false)).toThrow(/a clipNorm above 0 needs measureNorms/);
    expect(make(true).sampleNorms.length).toBe(4);
  });
});
