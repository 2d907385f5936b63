import type { InputImage } from '../data/image-file.js';
import { resizeArea } from '../data/resize-area.js';
import { SettingError, UserError } from '../util/errors.js';

export interface PrepareOptions {
  /** The network's input size: channels (1 for gray, 3 for RGB), height and width. */
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** 1 - v, for dark digits on a light background. */
  readonly invert: boolean;
  /** Resample other sizes by area averaging instead of refusing them. */
  readonly resize: boolean;
}

/** RGB to a gray network as its luminance; gray to an RGB network as three equal planes. */
export type ChannelConversion = 'luminance' | 'replicated';

export interface PreparedImage {
  readonly source: InputImage;
  /** channels*height*width values in [0, 1], (C,H,W): what the network sees. */
  readonly pixels: Float64Array;
  /** The size before resampling, or null when none was needed. */
  readonly resizedFrom: readonly [number, number] | null;
  /** How the image's channels became the network's: null when they were its own. */
  readonly conversion: ChannelConversion | null;
  /** Mean of `pixels`: MNIST digits are mostly black background, so well above 0.5 hints at the wrong polarity. */
  readonly meanValue: number;
}

/**
 * Turns a decoded image into the network's input. First its channels: an image with the network's
 * channel count is taken as it is; an RGB image goes to a gray network as its luminance (as
 * before networks had channels); a gray image goes to an RGB network as three equal planes, which
 * is what gray is in RGB and what torchvision's ImageFolder loader (Pillow's convert('RGB')) feeds
 * such a network. Anything else is refused. A gray network is usually MNIST's: white digits (1) on
 * a black background (0). Inversion comes next, then transparency: each channel of a pixel
 * is multiplied by its opacity, so transparent pixels are background (black) whatever the
 * polarity, which for an image not inverted is compositing over black. Resampling comes last, on
 * these final values, plane by plane.
 */
export function prepareInput(image: InputImage, o: PrepareOptions): PreparedImage {
  const { values, conversion } = inNetworkChannels(image, o.channels);
  const { alpha } = image;
  const plane = image.height * image.width;
  let pixels: Float64Array = new Float64Array(values.length);
  for (let i = 0; i < pixels.length; i++) {
    const v = o.invert ? 1 - values[i] : values[i];
    pixels[i] = alpha ? v * alpha[i % plane] : v;
  }
  let resizedFrom: readonly [number, number] | null = null;
  if (image.height !== o.height || image.width !== o.width) {
    if (!o.resize) {
      throw new SettingError(
        'resize',
        (name) => `${image.name}: the image is ${image.height}x${image.width} but the network takes ${o.height}x${o.width} images; give ${name('resize')} to resample it (area averaging)`,
      );
    }
    const resized = new Float64Array(o.channels * o.height * o.width);
    for (let c = 0; c < o.channels; c++) {
      resized.set(resizeArea(pixels.subarray(c * plane, (c + 1) * plane), image.height, image.width, o.height, o.width), c * o.height * o.width);
    }
    pixels = resized;
    resizedFrom = [image.height, image.width];
  }
  let sum = 0;
  for (let i = 0; i < pixels.length; i++) sum += pixels[i];
  return { source: image, pixels, resizedFrom, conversion, meanValue: sum / pixels.length };
}

function inNetworkChannels(image: InputImage, channels: number): { values: Float64Array; conversion: ChannelConversion | null } {
  if (image.channels === channels) return { values: image.values, conversion: null };
  if (channels === 1 && image.luminance !== null) return { values: image.luminance, conversion: 'luminance' };
  if (channels === 3 && image.channels === 1) {
    const plane = image.values.length;
    const rgb = new Float64Array(3 * plane);
    for (let c = 0; c < 3; c++) rgb.set(image.values, c * plane);
    return { values: rgb, conversion: 'replicated' };
  }
  const has = `${image.channels} channel${image.channels === 1 ? '' : 's'}`;
  throw new UserError(
    `${image.name}: the image has ${has} but the network takes ${channels}; predict turns RGB into gray and gray into RGB, nothing else`,
  );
}
