import { describe, expect, it } from 'vitest';
import { loadEmbeddedMnist } from '../src/data/embedded-mnist.js';
import { readNpz } from '../src/data/npz.js';
import { Trainer } from '../src/train/trainer.js';
import { elementwiseRelativeError } from './helpers/relative-error.js';
import { trainOptions } from './helpers/train-options.js';

// The seed's numpy program (conv2 gradient fixed), one epoch, float64, np.random streams.
const GOLDEN = new URL('../../shared/golden/seed_fixed_epoch1_weights.npz', import.meta.url).pathname;

describe('--rng numpy --dtype float64 --seed 0 --drop-last --epochs 1 reproduces the seed', () => {
  it('weights equal golden/seed_fixed_epoch1_weights.npz to 1e-9 relative; test accuracy 1768/1996', async () => {
    const golden = await readNpz(GOLDEN);
    const trainer = await Trainer.create(loadEmbeddedMnist(), trainOptions({ rng: 'numpy', dtype: 'float64', seed: 0, dropLast: true, epochs: 1 }));
    try {
      const {
        reports: [report],
      } = await trainer.run();
      expect(report.steps).toBe(80); // 8,004 // 100, the last 4 dropped
      expect(trainer.optimizer.step).toBe(80);
      let worst = 0;
      for (const t of trainer.shape.tensors) {
        const expected = golden.get(t.name)!.data as Float64Array;
        expect(golden.get(t.name)!.shape).toEqual(t.shape);
        // Elementwise, with a floor at 1e-6 for entries that are nearly zero.
        worst = Math.max(worst, elementwiseRelativeError(trainer.params.subarray(t.offset, t.offset + t.length), expected, 1e-6));
      }
      console.log(`worst elementwise relative difference from the seed: ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-9);
      expect([report.test.correct, report.test.total]).toEqual([1768, 1996]);
    } finally {
      await trainer.close();
    }
  });
});
