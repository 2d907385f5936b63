import { describe, expect, it } from 'vitest';
import { explainNoiseScale, NoiseScaleEstimate } from '../src/train/gradient-noise-scale.js';
import { lcg } from './helpers/random-model.js';

/** Standard normals from the test generator. */
function normals(seed: number): () => number {
  const rand = lcg(seed);
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** Feeds `steps` batches of per-sample gradients g_i = G + noise, the noise's coordinate j of standard deviation sd[j]. */
function estimate(G: number[], sd: number[], batch: number, steps: number, seed: number) {
  const z = normals(seed);
  const e = new NoiseScaleEstimate();
  const d = G.length;
  for (let s = 0; s < steps; s++) {
    const mean = new Float64Array(d);
    let squares = 0;
    for (let i = 0; i < batch; i++) {
      let norm2 = 0;
      for (let j = 0; j < d; j++) {
        const g = G[j] + sd[j] * z();
        mean[j] += g / batch;
        norm2 += g * g;
      }
      squares += norm2;
    }
    e.addBatch(batch, squares, mean.reduce((acc, m) => acc + m * m, 0));
  }
  return e.take();
}

describe('gradient noise scale B_simple = tr(Sigma) / |G|^2 from per-sample gradients', () => {
  it('isotropic noise, d=50, |G|^2 = 2, tr(Sigma) = 50 * 0.04 = 2: B_simple 1, with batches of 8, 32 and 100', () => {
    const d = 50;
    const G = Array.from({ length: d }, () => Math.sqrt(2 / d));
    const sd = Array.from({ length: d }, () => 0.2);
    for (const batch of [8, 32, 100]) {
      const r = estimate(G, sd, batch, 2000, batch);
      expect(r.batches).toBe(2000);
      expect(r.gradientSquared).toBeGreaterThan(2 * 0.95);
      expect(r.gradientSquared).toBeLessThan(2 * 1.05);
      expect(r.trace).toBeGreaterThan(2 * 0.97);
      expect(r.trace).toBeLessThan(2 * 1.03);
      expect(r.simple).toBeGreaterThan(0.93);
      expect(r.simple).toBeLessThan(1.07);
    }
  });

  it('unbiased where the naive ratio is not: |G|^2 = 0.01, tr(Sigma) = 4 (B_simple 400) with batches of 16', () => {
    const G = [0.1, 0, 0, 0];
    const sd = [1, 1, 1, 1];
    const r = estimate(G, sd, 16, 20000, 7);
    // The naive |mean|^2 would be about 0.01 + 4/16 = 0.26, a noise scale of ~15.
    expect(r.simple).toBeGreaterThan(300);
    expect(r.simple).toBeLessThan(550);
    expect(r.trace).toBeCloseTo(4, 1);
  });

  it('anisotropic noise: tr(Sigma) is the sum of the variances', () => {
    const G = [1, -1, 0.5];
    const sd = [0.1, 1, 3];
    const r = estimate(G, sd, 10, 4000, 3);
    expect(r.trace / (0.01 + 1 + 9)).toBeCloseTo(1, 1);
    expect(r.gradientSquared / 2.25).toBeCloseTo(1, 1);
  });

  it("pools batches of different sizes sum over sum, so that a short last batch counts by its pairs, not as one of the epoch's batches", () => {
    const e = new NoiseScaleEstimate();
    // Batch sums s and S = sum |g_i|^2 for one coordinate: 100 samples, then 2.
    e.addBatch(100, 150, 0.25); // |s|^2 = 100^2 * 0.25 = 2500
    e.addBatch(2, 10, 0.01); // |s|^2 = 0.04
    const r = e.take();
    expect(r.batches).toBe(2);
    expect(r.gradientSquared).toBeCloseTo((2500 - 150 + (0.04 - 10)) / (100 * 99 + 2 * 1), 14);
    expect(r.trace).toBeCloseTo((150 - 25 + (10 - 0.02)) / (99 + 1), 14);
    // Each batch's own estimates averaged, as if the 2 samples knew as much as the 100, would make |G|^2 negative.
    expect(r.gradientSquared).toBeGreaterThan(0);
    expect(r.simple).toBeCloseTo(r.trace / r.gradientSquared, 12);
  });

  it('a short last batch in every epoch leaves the estimate as close as full batches alone (|G|^2 = 0.01, tr(Sigma) = 4)', () => {
    const G = [0.1, 0, 0, 0];
    const sd = [1, 1, 1, 1];
    const z = normals(11);
    const e = new NoiseScaleEstimate();
    for (let epoch = 0; epoch < 5000; epoch++) {
      for (const batch of [16, 16, 16, 16, 2]) {
        const mean = [0, 0, 0, 0];
        let squares = 0;
        for (let i = 0; i < batch; i++) {
          for (let j = 0; j < 4; j++) {
            const g = G[j] + sd[j] * z();
            mean[j] += g / batch;
            squares += g * g;
          }
        }
        e.addBatch(batch, squares, mean.reduce((acc, m) => acc + m * m, 0));
      }
    }
    const r = e.take();
    expect(r.simple).toBeGreaterThan(280);
    expect(r.simple).toBeLessThan(600);
  });

  it('an estimate of |G|^2 that is not above 0 gives no B_simple, and keeps both estimates', () => {
    const e = new NoiseScaleEstimate();
    e.addBatch(4, 8, 0.25); // |s|^2 = 4 < S = 8
    const r = e.take();
    expect(r.gradientSquared).toBeLessThan(0);
    expect(r.trace).toBeCloseTo((8 - 1) / 3, 14);
    expect(r.simple).toBeNaN();
  });

  it('batches of one say nothing of the noise and are left out; an epoch without any gives NaN', () => {
    const e = new NoiseScaleEstimate();
    e.addBatch(1, 4, 4);
    expect(e.take()).toMatchObject({ batches: 0, simple: NaN });
  });
});

describe('explainNoiseScale', () => {
  it('a batch of one sample gives no estimate, and no verdict on the batch size', () => {
    expect(explainNoiseScale(NaN, 1)).toBe('gradient noise scale B_simple: n/a (no estimate: it needs batches of two samples or more, and a gradient that stands out of their noise)');
  });
  it('an estimate says what it means for the batch', () => {
    expect(explainNoiseScale(400.4, 100)).toMatch(/^gradient noise scale B_simple ~ 400 samples: batches larger than 100 would still cut the steps/);
    expect(explainNoiseScale(50, 100)).toMatch(/^gradient noise scale B_simple ~ 50 samples: batches beyond it mostly repeat each other/);
  });
});
