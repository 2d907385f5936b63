import type { Argv } from 'yargs';
import { type ModelOptions, type ModelSettings, SEED_MODEL } from '../model/config.js';
import { heightByWidth, positiveInt } from './parse-values.js';

const k = (o: { kernelHeight: number; kernelWidth: number }) =>
  o.kernelHeight === o.kernelWidth ? String(o.kernelHeight) : `${o.kernelHeight}x${o.kernelWidth}`;

/**
 * The network's shape flags, shared by every command that builds the model. They carry no yargs
 * default (the help shows it) so that a resumed run can tell a flag the user gave from one left out.
 */
export function withModelOptions<T>(y: Argv<T>) {
  const s = SEED_MODEL;
  return y
    .option('filters1', { type: 'number', defaultDescription: String(s.conv1.filters), describe: 'filters of the first convolution', coerce: positiveInt('filters1', 4096), group: 'Model:' })
    .option('kernel1', { type: 'string', defaultDescription: String(k(s.conv1)), describe: 'first kernel size, N or HxW', coerce: heightByWidth('kernel1'), group: 'Model:' })
    .option('stride1', { type: 'number', defaultDescription: String(s.conv1.stride), describe: 'first convolution stride', coerce: positiveInt('stride1', 4096), group: 'Model:' })
    .option('filters2', { type: 'number', defaultDescription: String(s.conv2.filters), describe: 'filters of the second convolution', coerce: positiveInt('filters2', 4096), group: 'Model:' })
    .option('kernel2', { type: 'string', defaultDescription: String(k(s.conv2)), describe: 'second kernel size, N or HxW', coerce: heightByWidth('kernel2'), group: 'Model:' })
    .option('stride2', { type: 'number', defaultDescription: String(s.conv2.stride), describe: 'second convolution stride', coerce: positiveInt('stride2', 4096), group: 'Model:' });
}

/** The model flags are the model's settings, each optional. */
export type ModelFlags = Partial<ModelSettings>;

/** The model the flags describe, with the seed's network where a flag is absent. */
export function modelOptionsFrom(a: ModelFlags): ModelOptions {
  const { conv1: c1, conv2: c2 } = SEED_MODEL;
  return {
    conv1: {
      filters: a.filters1 ?? c1.filters,
      kernelHeight: a.kernel1?.[0] ?? c1.kernelHeight,
      kernelWidth: a.kernel1?.[1] ?? c1.kernelWidth,
      stride: a.stride1 ?? c1.stride,
    },
    conv2: {
      filters: a.filters2 ?? c2.filters,
      kernelHeight: a.kernel2?.[0] ?? c2.kernelHeight,
      kernelWidth: a.kernel2?.[1] ?? c2.kernelWidth,
      stride: a.stride2 ?? c2.stride,
    },
  };
}
