import type { Argv } from 'yargs';
import { takeFirst, type Dataset } from '../data/dataset.js';
import { loadEmbeddedMnist } from '../data/embedded-mnist.js';
import { nonNegativeInt } from './parse-values.js';

/** Flags that choose the data and how much of it to use, shared by every command that reads data. */
export function withDataOptions<T>(y: Argv<T>) {
  return y
    .option('train-count', { type: 'number', describe: 'use the first N training images (default: all)', coerce: nonNegativeInt('train-count'), group: 'Data:' })
    .option('test-count', { type: 'number', describe: 'use the first N test images (default: all)', coerce: nonNegativeInt('test-count'), group: 'Data:' });
}

export interface DataFlags {
  trainCount?: number;
  testCount?: number;
}

export async function loadData(a: DataFlags): Promise<Dataset> {
  const full = loadEmbeddedMnist();
  return {
    ...full,
    train: a.trainCount === undefined ? full.train : takeFirst(full.train, a.trainCount),
    test: a.testCount === undefined ? full.test : takeFirst(full.test, a.testCount),
  };
}
