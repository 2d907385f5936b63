import type { Argv } from 'yargs';
import { CHANNELS_LAYOUTS, type ChannelsLayout, type DataSelection, prefixClasses, takeFirst, type Dataset, type ImageSet } from '../data/dataset.js';
import { loadEmbeddedMnist } from '../data/embedded-mnist.js';
import { type DataOptions, loadDataset, loadTestSet } from '../data/load-data.js';
import { UserError } from '../util/errors.js';
import { heightByWidth, nonNegativeInt, positiveNumber } from './parse-values.js';
import { flagOf } from './setting-flags.js';

/** Flags that choose the data and how much of it to use, shared by every command that reads data. */
export function withDataOptions<T>(y: Argv<T>) {
  return y
    .option('data', {
      type: 'string',
      describe: 'an .npz (seed or Keras keys), a directory of the four MNIST IDX files (.gz or raw) or of four .npy files; default: the embedded MNIST digits',
      group: 'Data:',
    })
    .option('train-images-key', { type: 'string', describe: 'array name of the training images in the .npz', group: 'Data:' })
    .option('train-labels-key', { type: 'string', describe: 'array name of the training labels', group: 'Data:' })
    .option('test-images-key', { type: 'string', describe: 'array name of the test images', group: 'Data:' })
    .option('test-labels-key', { type: 'string', describe: 'array name of the test labels', group: 'Data:' })
    .option('pixel-divisor', { type: 'number', describe: 'the network sees pixel / divisor (default: 255 for uint8, 1 for floats in [0,1])', coerce: positiveNumber('pixel-divisor'), group: 'Data:' })
    .option('image-size', { type: 'string', describe: 'HxW of the images when they are stored flat as (N, H*W)', coerce: heightByWidth('image-size'), group: 'Data:' })
    .option('channels', {
      choices: CHANNELS_LAYOUTS,
      describe: 'where the channel axis of 4-D images is when the shape does not say: last (N,H,W,C) or first (N,C,H,W)',
      group: 'Data:',
    })
    .option('train-count', { type: 'number', describe: 'use the first N training images (default: all; the embedded digits are stored by class)', coerce: nonNegativeInt('train-count'), group: 'Data:' })
    .option('test-count', { type: 'number', describe: 'use the first N test images (default: all; the embedded digits are stored by class)', coerce: nonNegativeInt('test-count'), group: 'Data:' });
}

/** Flags that describe a --data file; the embedded digits have no arrays to name nor a layout to choose. */
const DATA_FILE_SETTINGS: (keyof DataSelection)[] = ['trainImagesKey', 'trainLabelsKey', 'testImagesKey', 'testLabelsKey', 'pixelDivisor', 'imageSize', 'channelsLayout'];

/**
 * The data flags as yargs hands them over. The flag is --channels, but the setting is
 * channelsLayout: elsewhere `channels` is a count of channels.
 */
export type DataFlags = Omit<DataSelection, 'channelsLayout'> & { channels?: ChannelsLayout };

export function dataSelectionFrom(a: DataFlags): DataSelection {
  const { channels, ...rest } = a;
  return channels === undefined ? rest : { ...rest, channelsLayout: channels };
}

/** The data a command asked for, with the warnings it earns, to print once the command's checks pass. */
export type LoadedData = Dataset & { readonly warnings: readonly string[] };

export async function loadData(a: DataSelection): Promise<LoadedData> {
  refuseIdleFileFlags(a);
  const full = a.data === undefined ? loadEmbeddedMnist() : await loadDataset(fileOptions(a, a.data));
  const warnings = [
    unusedClasses(full),
    missingClasses(full.train.labels, a.trainCount, 'training', 'train-count'),
    pastTheEnd(full.train.count, a.trainCount, 'training', 'train-count'),
    ...testWarnings(full.test, a.testCount),
    a.pixelDivisor === undefined ? nearlyBlack(full.train, 'training', full.source) : undefined,
  ];
  return {
    ...full,
    warnings: warnings.filter((w) => w !== undefined),
    train: a.trainCount === undefined ? full.train : takeFirst(full.train, a.trainCount),
    test: a.testCount === undefined ? full.test : takeFirst(full.test, a.testCount),
  };
}

/** The test images alone, for evaluating saved weights: a --data file needs no training arrays. */
export async function loadTestData(a: DataSelection): Promise<{ test: ImageSet; source: string; warnings: readonly string[] }> {
  refuseIdleFileFlags(a);
  const full = a.data === undefined ? loadEmbeddedMnist() : await loadTestSet(fileOptions(a, a.data));
  return {
    test: a.testCount === undefined ? full.test : takeFirst(full.test, a.testCount),
    source: full.source,
    warnings: [...testWarnings(full.test, a.testCount), a.pixelDivisor === undefined ? nearlyBlack(full.test, 'test', full.source) : undefined].filter((w) => w !== undefined),
  };
}

function refuseIdleFileFlags(a: DataSelection): void {
  if (a.data !== undefined) return;
  const idle = DATA_FILE_SETTINGS.find((key) => a[key] !== undefined);
  if (idle !== undefined) throw new UserError(`${flagOf(idle)} describes a --data file, and none is given: the embedded digits would ignore it`);
}

function fileOptions(a: DataSelection, path: string): DataOptions {
  const keys = { trainImages: a.trainImagesKey, trainLabels: a.trainLabelsKey, testImages: a.testImagesKey, testLabels: a.testLabelsKey };
  const anyKey = Object.values(keys).some((k) => k !== undefined);
  return { path, keys: anyKey ? keys : undefined, pixelDivisor: a.pixelDivisor, imageSize: a.imageSize, channelsLayout: a.channelsLayout };
}

function testWarnings(test: ImageSet, count: number | undefined): (string | undefined)[] {
  return [missingClasses(test.labels, count, 'test', 'test-count'), pastTheEnd(test.count, count, 'test', 'test-count')];
}

/**
 * The classes are the training labels 0..max: labels 0..9 and 200 make a network of 201 outputs,
 * 190 of them for classes no image has, which is more likely a mislabelled file than a choice.
 */
function unusedClasses(d: Dataset): string | undefined {
  const used = new Set(d.train.labels).size;
  if (used === d.classes) return undefined;
  return `${d.source}: the training labels run to ${d.classes - 1}, so the network has ${d.classes} classes, but only ${used} of them have training images`;
}

/**
 * Pixels that come out no brighter than 1/255 are not images as the divisor reads them: 0/1 values
 * stored as integers (divided by 255), or floats divided by 255 twice. The network would train on
 * nearly black inputs without a word; a divisor the user gave is taken as meant.
 */
function nearlyBlack(set: ImageSet, split: string, source: string): string | undefined {
  // Ordinary images end the scan at their first bright pixel.
  const bright = (set.divisor / 255) * (1 + 1e-6);
  let largest = 0;
  for (let i = 0; i < set.pixels.length; i++) {
    if (set.pixels[i] > bright) return undefined;
    if (set.pixels[i] > largest) largest = set.pixels[i];
  }
  const seen = largest / set.divisor;
  if (largest === 0) return `${source}: every pixel of the ${split} images is 0`;
  const hint = set.divisor === 1 ? 'were they divided by 255 twice?' : `give --pixel-divisor ${largest} if they are ${largest === 1 ? '0/1 values' : `values in 0..${largest}`}`;
  return `${source}: the ${split} images' largest pixel is ${largest}, which the network sees as ${+seen.toPrecision(3)}, so they are nearly black; ${hint}`;
}

/** A prefix short of some classes trains or tests on part of the task, and reports it as the whole. */
function missingClasses(labels: Int32Array, count: number | undefined, split: string, flag: string): string | undefined {
  if (count === undefined || count === 0 || count >= labels.length) return undefined;
  const c = prefixClasses(labels, count);
  if (c.inPrefix === c.inSet) return undefined;
  return `--${flag} ${count} takes the first ${count} ${split} images, which hold ${c.inPrefix} of the ${c.inSet} classes of all ${labels.length} ${split} images; the first ${c.prefixForAll} hold all ${c.inSet}`;
}

/** A count past the set's end takes the whole set: said, since the run then is not the size asked for. */
function pastTheEnd(available: number, count: number | undefined, split: string, flag: string): string | undefined {
  if (count === undefined || count <= available) return undefined;
  return `--${flag} ${count} asks for more than the ${available} ${split} images there are: all ${available} are used`;
}

export function printWarnings(data: { readonly warnings: readonly string[] }): void {
  for (const w of data.warnings) process.stderr.write(`shardtrain: warning: ${w}\n`);
}
