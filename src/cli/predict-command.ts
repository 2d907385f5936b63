import type { Argv } from 'yargs';
import { CHANNELS_LAYOUTS } from '../data/dataset.js';
import { readImageFile, type InputImage } from '../data/image-file.js';
import { predictImages } from '../eval/predict-images.js';
import { prepareInput } from '../eval/prepare-input.js';
import type { WeightsFile } from '../io/load-weights.js';
import { readSavedNetwork } from '../io/saved-network.js';
import type { Model } from '../model/model.js';
import { UserError } from '../util/errors.js';
import { requireFlagValues } from './flag-values.js';
import { heightByWidth, positiveNumber } from './parse-values.js';
import { formatPredictionLine, predictJson } from './predict-report.js';
import { weightsOptionsFrom, withWeightsOptions } from './weights-options.js';

const EPILOG = [
  // One entry per paragraph: yargs wraps each to the terminal's width.
  "Weights: what train --save writes, for the seed network (its own array names) or any layer stack (torch.nn.Sequential tensors with the architecture as JSON), and the same written by PyTorch with np.savez. The file says what the network takes: channels, height and width.",
  'A gray network trained on MNIST expects white digits on a black background: give --invert for dark digits on a light background.',
  "PNG: gray, gray+alpha, RGB, RGBA or palette, 1 to 16 bits, divided by the largest value of the bit depth; colour as (C,H,W) planes, as PyTorch's ToTensor gives it.",
  'A network of 3 channels gets colour as it is and a gray image as three equal planes (as Pillow\'s convert("RGB"), which torchvision\'s ImageFolder applies); a gray network gets colour as luminance Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601, as Pillow\'s convert("L")). The output marks each converted image.',
  'Transparent pixels are background: after --invert each value is multiplied by its opacity (over black). Alpha is never a channel.',
  '.npy: one image (H, W) or (H, W, 1), or a stack (N, H, W); with channels (N, H, W, C) or (N, C, H, W), and for a network of several channels (H, W, C) or (C, H, W). The channel axis is the one of size 1, 3 or 4 when the other candidate is not; otherwise --channels says. uint8 is divided by 255, floats must lie in [0, 1]; --pixel-divisor takes other ranges (65535 for 16-bit).',
  '--resize resamples by area averaging (each output pixel is the mean of the input area it covers), stretching to the network\'s HxW.',
].join('\n');

export function predictBuilder<T>(y: Argv<T>) {
  const predicting = withWeightsOptions(y)
    .positional('images', { type: 'string', array: true, describe: 'PNG files and .npy arrays to classify', demandOption: true, default: undefined })
    .option('invert', { type: 'boolean', default: false, describe: 'invert the images (1 - v): for dark digits on a light background' })
    .option('resize', { type: 'boolean', default: false, describe: "resample images of another size to the network's by area averaging (default: refuse them)" })
    .option('image-size', { type: 'string', describe: "HxW the network takes, for weights files that do not store it (default: the images' own size)", coerce: heightByWidth('image-size') })
    .option('channels', { choices: CHANNELS_LAYOUTS, describe: 'where the channel axis of .npy arrays is when the shape does not say: last (N,H,W,C) or first (N,C,H,W)' })
    .option('pixel-divisor', { type: 'number', describe: '.npy arrays: the network sees value / divisor (default: 255 for integers, whose values must then lie in 0..255; 1 for floats, which must then lie in [0, 1])', coerce: positiveNumber('pixel-divisor') })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout and nothing else there' })
    .group(['invert', 'resize', 'image-size', 'channels', 'pixel-divisor', 'json'], 'Prediction:')
    .epilog(EPILOG);
  return requireFlagValues(predicting);
}

type PredictArgs = Awaited<ReturnType<ReturnType<typeof predictBuilder>['parseAsync']>>;

/** The predicted class and class probabilities of each image. Every input is read and checked before anything is printed. */
export async function runPredict(a: PredictArgs): Promise<void> {
  const weights = await readSavedNetwork(a.weights, weightsOptionsFrom(a));
  const given = a.imageSize as [number, number] | undefined;
  if (given && weights.imageSize && (given[0] !== weights.imageSize[0] || given[1] !== weights.imageSize[1])) {
    const where = weights.source === 'architecture' ? "its 'architecture'" : "array 'image_shape'";
    throw new UserError(
      `--image-size ${given[0]}x${given[1]} contradicts ${weights.path}, which is for ${weights.imageSize[0]}x${weights.imageSize[1]} images (${where}); leave --image-size out`,
    );
  }
  const known = weights.imageSize ?? given;
  const { channels } = weights;
  const images = (a.images as string[]).flatMap((path) =>
    readImageFile(path, { networkChannels: channels, networkWidth: known?.[1], channelsLayout: a.channels, pixelDivisor: a.pixelDivisor }),
  );
  if (!images.some((image) => image.format === 'npy')) refuseNpyFlags(a);
  // Only the seed's files can lack an image size: a stack's architecture always has one.
  const model = known ? weights.modelFor(known[0], known[1], '--image-size') : modelFromInputs(weights.seed!, images);
  const [height, width] = model.kind === 'seed' ? [model.config.imageHeight, model.config.imageWidth] : model.spec.input.slice(1);
  const prepared = images.map((image) => prepareInput(image, { channels, height, width, invert: a.invert, resize: a.resize }));
  const predictions = await predictImages(model, weights.dtype, weights.params, prepared.map((p) => p.pixels));
  const overflowed = predictions.findIndex((p) => !p.probabilities.every(Number.isFinite));
  if (overflowed >= 0) {
    const tooLarge = a.pixelDivisor === undefined ? 'the weights are too large to classify with' : `the weights, or the values divided by --pixel-divisor ${a.pixelDivisor}, are too large`;
    throw new UserError(`${weights.path}: the network's outputs for ${prepared[overflowed].source.name} overflow ${weights.dtype}, so ${tooLarge}`);
  }
  // The polarity hint is about MNIST-like digits, which only a gray network reads.
  if (!a.invert && channels === 1) {
    for (const p of prepared) {
      if (p.meanValue > 0.5) {
        process.stderr.write(`shardtrain: warning: ${p.source.name} is mostly light (mean ${p.meanValue.toFixed(2)}); the network expects white digits on black like MNIST: give --invert for dark digits on light\n`);
      }
    }
  }
  if (a.json) process.stdout.write(predictJson(weights, model, { invert: a.invert, resize: a.resize, pixelDivisor: a.pixelDivisor ?? null }, prepared, predictions) + '\n');
  else for (let i = 0; i < prepared.length; i++) process.stdout.write(formatPredictionLine(prepared[i], predictions[i]) + '\n');
}

/** --channels and --pixel-divisor describe .npy arrays: with PNG files alone they would do nothing. */
function refuseNpyFlags(a: { channels?: string; pixelDivisor?: number }): void {
  const pngs = 'every input is a PNG, which says its own channels and bit depth';
  if (a.channels !== undefined) throw new UserError(`--channels ${a.channels} applies to .npy arrays, and ${pngs}; leave it out`);
  if (a.pixelDivisor !== undefined) throw new UserError(`--pixel-divisor ${a.pixelDivisor} applies to .npy arrays, and ${pngs} (its values are divided by its bit depth's largest); leave it out`);
}

/** Seed weights without image_shape: the inputs' own size, when they agree on one that fits w. */
function modelFromInputs(weights: WeightsFile, images: InputImage[]): Model {
  const fits = weights.fittingImageSizes;
  const fitText = fits ? `${range(fits.heights)} x ${range(fits.widths)}` : '';
  const sizes = [...new Set(images.map((i) => `${i.height}x${i.width}`))];
  if (sizes.length > 1) {
    const examples = sizes.slice(0, 3).map((s) => `${images.find((i) => `${i.height}x${i.width}` === s)!.name} is ${s}`);
    throw new UserError(
      `${weights.path}: the file stores no image size (no 'image_shape' array) and the inputs differ in size (${examples.join(', ')}); ` +
        `give --resize --image-size HxW${fits ? ` (sizes that fit: ${fitText})` : ''}`,
    );
  }
  const first = images[0];
  const inside = (n: number, [lo, hi]: readonly [number, number]) => n >= lo && n <= hi;
  if (fits && !(inside(first.height, fits.heights) && inside(first.width, fits.widths))) {
    const { conv1, conv2 } = weights.model;
    throw new UserError(
      `${first.name}: the image is ${first.height}x${first.width} but ${weights.path} takes ${fitText} images ` +
        `(its w with strides ${conv1.stride} and ${conv2.stride}; the file stores no image size); give --resize --image-size HxW to resample it`,
    );
  }
  try {
    return { kind: 'seed', config: weights.configFor(first.height, first.width, first.name) };
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`${e.message}; or resample with --resize --image-size HxW`);
    throw e;
  }
}

function range([lo, hi]: readonly [number, number]): string {
  return lo === hi ? String(lo) : `${lo}..${hi}`;
}
