// What stack-phases.ts times its kernels on: weights after some training (so that the ReLU zeros the
// kernels skip are a real run's), and the digits made dense (Fashion-MNIST's half-nonzero images
// stood in for by the same digits, each pixel its 3x3 neighbourhood's maximum).
import type { ImageSet } from '../../src/data/dataset.js';
import { allocFloat32, WasmAdam, type WasmBackend, WasmSlotSum, WasmStackNetwork } from '../../src/kernels/wasm/index.js';
import { initStackParameters, type SequentialLayout, type StackDims } from '../../src/model/stack/index.js';
import { SEED_ADAM } from '../../src/optim/adam.js';
import { createRandomStreams } from '../../src/rng/streams.js';
import { DEFAULT_TRAIN_OPTIONS } from '../../src/train/defaults.js';

/** The trainer's default batch: training here and stack-phases' slot sum both take it. */
export const BATCH = DEFAULT_TRAIN_OPTIONS.batchSize;

/** Seed-initialised weights trained for `epochs` epochs with `backend`'s kernels (one thread, Adam). */
export function trainedParameters(backend: WasmBackend, dims: StackDims, layout: SequentialLayout, images: ImageSet, epochs: number): Float32Array {
  const params = allocFloat32(backend.memory, layout.total);
  const streams = createRandomStreams(DEFAULT_TRAIN_OPTIONS.rng, DEFAULT_TRAIN_OPTIONS.seed);
  initStackParameters(params, layout, dims, streams);
  const net = WasmStackNetwork.create(backend, dims);
  const slotLength = net.slots.length;
  const slots = allocFloat32(backend.memory, BATCH * slotLength);
  const mean = allocFloat32(backend.memory, layout.total);
  const adam = new WasmAdam(backend, SEED_ADAM, layout.total);
  const slotSum = new WasmSlotSum(backend, slots, net.slots);
  for (let e = 0; e < epochs; e++) {
    const order = streams.epochPermutation(e, images.count);
    let lossSum = 0;
    for (let start = 0; start + BATCH <= images.count; start += BATCH) {
      net.prepare(params);
      for (let i = 0; i < BATCH; i++) {
        const image = order[start + i];
        lossSum += net.sampleGradient(params, images, image, images.labels[image], slots.subarray(i * slotLength, (i + 1) * slotLength));
      }
      slotSum.add(0, BATCH);
      slotSum.finish(mean, BATCH);
      adam.update(params, mean);
    }
    console.log(`training epoch ${e + 1}: mean loss ${(lossSum / (Math.floor(images.count / BATCH) * BATCH)).toFixed(4)}`);
  }
  return Float32Array.from(params);
}

/** Each image's 3x3 maximum, repeated until at least half the pixels are nonzero. */
export function dilate(pixels: Uint8Array, H: number, W: number): Uint8Array {
  let from = pixels;
  const nonzero = (a: Uint8Array) => a.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0) / a.length;
  while (nonzero(from) < 0.5) {
    const to = new Uint8Array(from.length);
    for (let p = 0; p < from.length; p++) {
      const base = p - (p % (H * W));
      const y = Math.floor((p % (H * W)) / W);
      const x = p % W;
      let m = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy >= 0 && yy < H && xx >= 0 && xx < W) m = Math.max(m, from[base + yy * W + xx]);
        }
      }
      to[p] = m;
    }
    from = to;
  }
  console.log(`dilated digits: ${(100 * nonzero(from)).toFixed(0)}% nonzero pixels (the digits: ${(100 * nonzero(pixels)).toFixed(0)}%)`);
  return from;
}
