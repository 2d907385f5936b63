import type { InputImage } from '../data/image-file.js';
import { resizeArea } from '../data/resize-area.js';
import { SettingError } from '../util/errors.js';

export interface PrepareOptions {
  /** The network's input size. */
  readonly height: number;
  readonly width: number;
  /** 1 - v, for dark digits on a light background. */
  readonly invert: boolean;
  /** Resample other sizes by area averaging instead of refusing them. */
  readonly resize: boolean;
}

export interface PreparedImage {
  readonly source: InputImage;
  /** height*width values in [0, 1]: what the network sees. */
  readonly pixels: Float64Array;
  /** The size before resampling, or null when none was needed. */
  readonly resizedFrom: readonly [number, number] | null;
  /** Mean of `pixels`: MNIST digits are mostly black background, so well above 0.5 hints at the wrong polarity. */
  readonly meanValue: number;
}

/**
 * Turns a decoded image into the network's input. The network was trained on MNIST: white digits
 * (1) on a black background (0). Inversion comes first, then transparency: a pixel is multiplied
 * by its opacity, so transparent pixels are background (black) whatever the polarity, which for an
 * image not inverted is compositing over black. Resampling comes last, on these final values.
 */
export function prepareInput(image: InputImage, o: PrepareOptions): PreparedImage {
  const { luminance, alpha } = image;
  let pixels: Float64Array = new Float64Array(luminance.length);
  for (let i = 0; i < pixels.length; i++) {
    const v = o.invert ? 1 - luminance[i] : luminance[i];
    pixels[i] = alpha ? v * alpha[i] : v;
  }
  let resizedFrom: readonly [number, number] | null = null;
  if (image.height !== o.height || image.width !== o.width) {
    if (!o.resize) {
      throw new SettingError(
        'resize',
        (name) => `${image.name}: the image is ${image.height}x${image.width} but the network takes ${o.height}x${o.width} images; give ${name('resize')} to resample it (area averaging)`,
      );
    }
    pixels = resizeArea(pixels, image.height, image.width, o.height, o.width);
    resizedFrom = [image.height, image.width];
  }
  let sum = 0;
  for (let i = 0; i < pixels.length; i++) sum += pixels[i];
  return { source: image, pixels, resizedFrom, meanValue: sum / pixels.length };
}
