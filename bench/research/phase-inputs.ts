// What stack-phases.ts and kernel-phases.ts time their kernels on: weights after some training (so
// that the ReLU zeros the kernels skip are a real run's), and, for stack-phases, the digits made
// dense (Fashion-MNIST's half-nonzero images stood in for by the same digits, each pixel its 3x3
// neighbourhood's maximum).
import type { ImageSet } from '../../src/data/dataset.js';
import type { SampleKernels } from '../../src/kernels/sample-kernels.js';
import { allocFloat32, WasmAdam, type WasmBackend, WasmSlotSum } from '../../src/kernels/wasm/index.js';
import type { NormalSource } from '../../src/model/init.js';
import { SEED_ADAM } from '../../src/optim/adam.js';
import { createRandomStreams } from '../../src/rng/streams.js';
import { DEFAULT_TRAIN_OPTIONS } from '../../src/train/defaults.js';

/** The trainer's default batch: trainedParameters trains with it unless told another, stack-phases sums slots with it. */
export const BATCH = DEFAULT_TRAIN_OPTIONS.batchSize;

/** The model a phase bench trains: its parameter count, the seed's initialisation, and its kernels in a backend. */
export interface TrainedModel {
  readonly parameters: number;
  init(params: Float32Array, normals: NormalSource): void;
  kernels(backend: WasmBackend): SampleKernels;
}

/** Seed-initialised weights trained for `epochs` epochs with `model`'s kernels in `backend` (one thread, Adam). */
export function trainedParameters(backend: WasmBackend, model: TrainedModel, images: ImageSet, epochs: number, batch = BATCH): Float32Array {
  const params = allocFloat32(backend.memory, model.parameters);
  const streams = createRandomStreams(DEFAULT_TRAIN_OPTIONS.rng, DEFAULT_TRAIN_OPTIONS.seed);
  model.init(params, streams);
  const net = model.kernels(backend);
  const slotLength = net.slots.length;
  const slots = allocFloat32(backend.memory, batch * slotLength);
  const mean = allocFloat32(backend.memory, model.parameters);
  const adam = new WasmAdam(backend, SEED_ADAM, model.parameters);
  const slotSum = new WasmSlotSum(backend, slots, net.slots);
  for (let e = 0; e < epochs; e++) {
    const order = streams.epochPermutation(e, images.count);
    let lossSum = 0;
    for (let start = 0; start + batch <= images.count; start += batch) {
      net.prepare(params);
      for (let i = 0; i < batch; i++) {
        const image = order[start + i];
        lossSum += net.sampleGradient(params, images, image, images.labels[image], slots.subarray(i * slotLength, (i + 1) * slotLength));
      }
      slotSum.add(0, batch);
      slotSum.finish(mean, batch);
      adam.update(params, mean);
    }
    console.log(`training epoch ${e + 1}: mean loss ${(lossSum / (Math.floor(images.count / batch) * batch)).toFixed(4)}`);
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
