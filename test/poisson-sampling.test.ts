import { describe, expect, it } from 'vitest';
import { drawPoissonBatch, poissonSlots } from '../src/privacy/poisson-sampling.js';
import { poissonSchedule } from '../src/privacy/poisson-schedule.js';
import { SecureUniform } from '../src/rng/secure-uniform.js';
import { stepStream } from '../src/rng/streams.js';
import { PoissonBatches } from '../src/train/batch-plan.js';

describe('Poisson sampling', () => {
  it('each step draws its own batch from (seed, step) alone: the same again, another for another step or seed', () => {
    const n = 5000;
    const draw = (seed: number, step: number) => {
      const out = new Int32Array(n);
      return Array.from(out.subarray(0, drawPoissonBatch(stepStream(seed, 'sampling', step), n, 0.02, out)));
    };
    const a = draw(3, 17);
    expect(draw(3, 17)).toEqual(a);
    expect(draw(3, 18)).not.toEqual(a);
    expect(draw(4, 17)).not.toEqual(a);
    for (let i = 1; i < a.length; i++) expect(a[i]).toBeGreaterThan(a[i - 1]);
  });

  it('takes each sample with the given probability: 400 steps of q=0.05 over 2000 samples', () => {
    const n = 2000;
    const q = 0.05;
    const out = new Int32Array(n);
    const hits = new Int32Array(n);
    let total = 0;
    const steps = 400;
    for (let step = 1; step <= steps; step++) {
      const count = drawPoissonBatch(stepStream(0, 'sampling', step), n, q, out);
      total += count;
      for (let i = 0; i < count; i++) hits[out[i]]++;
    }
    // Binomial(n * steps, q): mean 40,000, sd 194.9; 5 sd either way.
    expect(Math.abs(total - n * steps * q)).toBeLessThan(5 * Math.sqrt(n * steps * q * (1 - q)));
    // Early and late samples alike (the halves' counts: mean 20,000, sd 138).
    const firstHalf = hits.subarray(0, n / 2).reduce((s, x) => s + x, 0);
    expect(Math.abs(firstHalf - total / 2)).toBeLessThan(5 * 138);
  });

  it('with --secure-noise the batches come from the OS generator: the same seed draws other batches each run, at the same rate', () => {
    const n = 2000;
    const schedule = { sampleRate: 0.05, stepsPerEpoch: 20 };
    const draws = (plan: PoissonBatches) => {
      const order = new Int32Array(n);
      return Array.from({ length: schedule.stepsPerEpoch }, (_, s) => Array.from(order.subarray(0, plan.batch(s, s + 1, order).count)));
    };
    const seeded = draws(new PoissonBatches(7, n, schedule));
    expect(draws(new PoissonBatches(7, n, schedule))).toEqual(seeded);
    const secure = [draws(new PoissonBatches(7, n, schedule, new SecureUniform())), draws(new PoissonBatches(7, n, schedule, new SecureUniform()))];
    expect(secure[0]).not.toEqual(seeded);
    expect(secure[1]).not.toEqual(secure[0]);
    // Binomial(n * 20, q) samples over the 20 steps: mean 2,000, sd 43.6; 5 sd either way.
    for (const batches of secure) expect(Math.abs(batches.flat().length - 2000)).toBeLessThan(5 * 43.6);
  });

  it("Opacus's schedule from a batch size: ceil(N/B) steps an epoch, each at rate 1/ceil(N/B)", () => {
    expect(poissonSchedule(60000, 2048)).toEqual({ sampleRate: 1 / 30, stepsPerEpoch: 30 });
    expect(poissonSchedule(60000, 256)).toEqual({ sampleRate: 1 / 235, stepsPerEpoch: 235 });
    expect(poissonSchedule(100, 500)).toEqual({ sampleRate: 1, stepsPerEpoch: 1 });
  });

  it('slots for six standard deviations above the expected batch, never more than the samples', () => {
    expect(poissonSlots(60000, 1 / 30)).toBe(Math.ceil(2000 + 6 * Math.sqrt(2000 * (29 / 30))));
    expect(poissonSlots(100, 1)).toBe(100);
  });
});
