import type { Argv } from 'yargs';
import { takeFirst, type Dataset } from '../data/dataset.js';
import { loadEmbeddedMnist } from '../data/embedded-mnist.js';
import { loadDataset } from '../data/load-data.js';
import { heightByWidth, nonNegativeInt, positiveNumber } from './parse-values.js';

/** Flags that choose the data and how much of it to use, shared by every command that reads data. */
export function withDataOptions<T>(y: Argv<T>) {
  return y
    .option('data', {
      type: 'string',
      describe: 'an .npz (seed or Keras keys), or a directory of the four MNIST IDX files (.gz or raw); default: the embedded MNIST digits',
      group: 'Data:',
    })
    .option('train-images-key', { type: 'string', describe: 'array name of the training images in the .npz', group: 'Data:' })
    .option('train-labels-key', { type: 'string', describe: 'array name of the training labels', group: 'Data:' })
    .option('test-images-key', { type: 'string', describe: 'array name of the test images', group: 'Data:' })
    .option('test-labels-key', { type: 'string', describe: 'array name of the test labels', group: 'Data:' })
    .option('pixel-divisor', { type: 'number', describe: 'the network sees pixel / divisor (default: 255 for uint8, 1 for floats in [0,1])', coerce: positiveNumber('pixel-divisor'), group: 'Data:' })
    .option('image-size', { type: 'string', describe: 'HxW of the images when they are stored flat as (N, H*W)', coerce: heightByWidth('image-size'), group: 'Data:' })
    .option('train-count', { type: 'number', describe: 'use the first N training images (default: all)', coerce: nonNegativeInt('train-count'), group: 'Data:' })
    .option('test-count', { type: 'number', describe: 'use the first N test images (default: all)', coerce: nonNegativeInt('test-count'), group: 'Data:' });
}

export interface DataFlags {
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

export async function loadData(a: DataFlags): Promise<Dataset> {
  const keys = { trainImages: a.trainImagesKey, trainLabels: a.trainLabelsKey, testImages: a.testImagesKey, testLabels: a.testLabelsKey };
  const anyKey = Object.values(keys).some((k) => k !== undefined);
  const full =
    a.data === undefined
      ? loadEmbeddedMnist()
      : await loadDataset({
          path: a.data,
          keys: anyKey ? keys : undefined,
          pixelDivisor: a.pixelDivisor,
          imageShape: a.imageSize,
        });
  return {
    ...full,
    train: a.trainCount === undefined ? full.train : takeFirst(full.train, a.trainCount),
    test: a.testCount === undefined ? full.test : takeFirst(full.test, a.testCount),
  };
}
