/**
 * Images live once in shared memory, as the file stored them (bytes for uint8 data), so every
 * worker reads the same pages instead of holding a float copy. The network sees pixel / divisor.
 */
export interface ImageSet {
  /** count*height*width pixels, row-major, backed by a SharedArrayBuffer. */
  readonly pixels: Uint8Array | Float32Array | Float64Array;
  /** count labels in 0..classes-1, backed by a SharedArrayBuffer. */
  readonly labels: Int32Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  /** 255 for byte pixels (the seed's image/255), 1 for float pixels already in [0,1]. */
  readonly divisor: number;
}

/** Which data and how much of it, as a run asks for it and a checkpoint records it. */
export interface DataSelection {
  /** Absolute path; absent for the embedded digits. */
  data?: string;
  trainImagesKey?: string;
  trainLabelsKey?: string;
  testImagesKey?: string;
  testLabelsKey?: string;
  pixelDivisor?: number;
  imageSize?: [number, number];
  trainCount?: number;
  testCount?: number;
}

export interface Dataset {
  readonly train: ImageSet;
  readonly test: ImageSet;
  readonly classes: number;
  /** Where the data came from, for messages and saved configurations. */
  readonly source: string;
}

/** Copies `source` into a fresh SharedArrayBuffer-backed array of the same type. */
export function toShared<T extends Uint8Array | Float32Array | Float64Array | Int32Array>(source: T): T {
  const Ctor = source.constructor as { new (buffer: SharedArrayBuffer): T };
  const shared = new Ctor(new SharedArrayBuffer(source.byteLength));
  (shared as unknown as { set(a: ArrayLike<number>): void }).set(source);
  return shared;
}

/** The first `count` images of a set (a view: no copy). */
export function takeFirst(set: ImageSet, count: number): ImageSet {
  if (count >= set.count) return set;
  const size = set.height * set.width;
  return {
    ...set,
    count,
    pixels: set.pixels.subarray(0, count * size),
    labels: set.labels.subarray(0, count),
  };
}
