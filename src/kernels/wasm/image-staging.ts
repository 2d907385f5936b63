import type { ImageSource } from '../sample-kernels.js';

/** assembly/input.ts PixelKind: how the staged pixels are stored. */
const PIXEL_KIND = { u8: 0, f32: 1, f64: 2 } as const;

/**
 * One image's pixels, copied as stored into an instance's scratch; the kernels convert them
 * (pixel / divisor) into the first layer's input. Images stay in their own SharedArrayBuffer.
 */
export class ImageStaging {
  private readonly u8: Uint8Array;
  private readonly f32: Float32Array;
  private readonly f64: Float64Array;

  /** `values` per image (channels x height x width), staged at `address` of `buffer`. */
  constructor(
    buffer: ArrayBufferLike,
    address: number,
    private readonly values: number,
  ) {
    this.u8 = new Uint8Array(buffer, address, values);
    this.f32 = new Float32Array(buffer, address, values);
    this.f64 = new Float64Array(buffer, address, values);
  }

  /** Copies image `index`; returns the pixel kind to tell the kernels. */
  stage(images: ImageSource, index: number): number {
    const size = this.values;
    const { pixels } = images;
    const from = index * size;
    if (!(index >= 0 && from + size <= pixels.length)) throw new RangeError(`image ${index} is outside the ${pixels.length / size} images`);
    if (pixels instanceof Uint8Array) {
      this.u8.set(pixels.subarray(from, from + size));
      return PIXEL_KIND.u8;
    }
    if (pixels instanceof Float32Array) {
      this.f32.set(pixels.subarray(from, from + size));
      return PIXEL_KIND.f32;
    }
    this.f64.set(pixels.subarray(from, from + size));
    return PIXEL_KIND.f64;
  }
}

/** The address of params if they are the ones last prepared; a one-line error otherwise. */
export function preparedAddress(address: number, preparedAt: number, who: string): number {
  if (address !== preparedAt) {
    throw new Error(
      preparedAt < 0
        ? `${who}.prepare(params) was never called: call it once per job, before the first sample`
        : `params at address ${address} are not the ones prepared (address ${preparedAt}): call prepare(params) first`,
    );
  }
  return address;
}
