import type { Argv } from 'yargs';
import { SEED_MODEL, type ModelOptions } from '../model/config.js';
import { heightByWidth, positiveInt } from './parse-values.js';

const k = (o: { kernelHeight: number; kernelWidth: number }) =>
  o.kernelHeight === o.kernelWidth ? String(o.kernelHeight) : `${o.kernelHeight}x${o.kernelWidth}`;

/** The network's shape flags, shared by every command that builds the model. */
export function withModelOptions<T>(y: Argv<T>) {
  const s = SEED_MODEL;
  return y
    .option('filters1', { type: 'number', default: s.conv1.filters, describe: 'filters of the first convolution', coerce: positiveInt('filters1', 4096), group: 'Model:' })
    .option('kernel1', { type: 'string', default: k(s.conv1), describe: 'first kernel size, N or HxW', coerce: heightByWidth('kernel1'), group: 'Model:' })
    .option('stride1', { type: 'number', default: s.conv1.stride, describe: 'first convolution stride', coerce: positiveInt('stride1', 4096), group: 'Model:' })
    .option('filters2', { type: 'number', default: s.conv2.filters, describe: 'filters of the second convolution', coerce: positiveInt('filters2', 4096), group: 'Model:' })
    .option('kernel2', { type: 'string', default: k(s.conv2), describe: 'second kernel size, N or HxW', coerce: heightByWidth('kernel2'), group: 'Model:' })
    .option('stride2', { type: 'number', default: s.conv2.stride, describe: 'second convolution stride', coerce: positiveInt('stride2', 4096), group: 'Model:' });
}

export interface ModelFlags {
  filters1: number;
  kernel1: [number, number];
  stride1: number;
  filters2: number;
  kernel2: [number, number];
  stride2: number;
}

export function modelOptionsFrom(a: ModelFlags): ModelOptions {
  return {
    conv1: { filters: a.filters1, kernelHeight: a.kernel1[0], kernelWidth: a.kernel1[1], stride: a.stride1 },
    conv2: { filters: a.filters2, kernelHeight: a.kernel2[0], kernelWidth: a.kernel2[1], stride: a.stride2 },
  };
}
