/**
 * Images live once in shared memory, as the file stored them (bytes for uint8 data), so every
 * worker reads the same pages instead of holding a float copy. The network sees pixel / divisor.
 */
export interface ImageSet {
  /**
   * count*channels*height*width pixels, backed by a SharedArrayBuffer. Each image is stored
   * channel-major, (C,H,W) as in PyTorch's NCHW, whatever layout the file had, so a network reads
   * image i as the imageValues(set) values from i*imageValues(set) on.
   */
  readonly pixels: Uint8Array | Float32Array | Float64Array;
  /** count labels in 0..classes-1, backed by a SharedArrayBuffer. */
  readonly labels: Int32Array;
  readonly count: number;
  /** 1 for gray images (every IDX file, the embedded digits), 3 for RGB. */
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** 255 for byte pixels (the seed's image/255), 1 for float pixels already in [0,1]. */
  readonly divisor: number;
}

/** 'last' is (N,H,W,C) as Keras and TensorFlow store images, 'first' is (N,C,H,W) as PyTorch does. */
export const CHANNELS_LAYOUTS = ['first', 'last'] as const;
export type ChannelsLayout = (typeof CHANNELS_LAYOUTS)[number];

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
  /** Where the channel axis of (N,H,W,C) or (N,C,H,W) arrays is, when their shape does not say. */
  channelsLayout?: ChannelsLayout;
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

/** How many values one image of the set holds: channels*height*width. */
export function imageValues(set: Pick<ImageSet, 'channels' | 'height' | 'width'>): number {
  return set.channels * set.height * set.width;
}

/** '28x28' for gray images, '3x32x32' (CxHxW) for images with channels. */
export function imageShapeText(set: Pick<ImageSet, 'channels' | 'height' | 'width'>): string {
  return set.channels === 1 ? `${set.height}x${set.width}` : `${set.channels}x${set.height}x${set.width}`;
}

/** The first `count` images of a set (a view: no copy). */
export function takeFirst(set: ImageSet, count: number): ImageSet {
  if (count >= set.count) return set;
  const size = imageValues(set);
  return {
    ...set,
    count,
    pixels: set.pixels.subarray(0, count * size),
    labels: set.labels.subarray(0, count),
  };
}

/** How the classes of a set's first `count` images compare with the whole set's. */
export interface PrefixClasses {
  /** Classes among the first `count` images. */
  readonly inPrefix: number;
  /** Classes among all the images. */
  readonly inSet: number;
  /** The shortest prefix that holds every class of the set. */
  readonly prefixForAll: number;
}

/**
 * Counts the classes a prefix of the set holds. A prefix is what --train-count takes, as the
 * seed's `[:trains]` does; on data stored in class order (the embedded digits) it holds a class or
 * two, and a network trained on one class learns nothing.
 */
export function prefixClasses(labels: Int32Array, count: number): PrefixClasses {
  const firstAt = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) if (!firstAt.has(labels[i])) firstAt.set(labels[i], i);
  let inPrefix = 0;
  let prefixForAll = 0;
  for (const at of firstAt.values()) {
    if (at < count) inPrefix++;
    prefixForAll = Math.max(prefixForAll, at + 1);
  }
  return { inPrefix, inSet: firstAt.size, prefixForAll };
}
