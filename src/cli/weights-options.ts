import type { Argv } from 'yargs';
import type { LoadWeightsOptions } from '../io/load-weights.js';
import type { Dtype } from '../model/float-array.js';
import { positiveInt } from './parse-values.js';

/**
 * Flags of the commands that read a weights file. The strides have no default here: a file with
 * configuration arrays knows its own (and a contradicting flag is refused), a file without them
 * gets the seed's 1 and 2 unless told otherwise, and a layer stack's architecture gives its own.
 */
export function withWeightsOptions<T>(y: Argv<T>) {
  return y
    .option('weights', {
      type: 'string',
      demandOption: true,
      describe: "an .npz from train --save, the seed's numpy code or PyTorch (np.savez): the seed network's kern, kb, kern2, kb2, w, b, or a layer stack's nn.Sequential tensors with its architecture (float16/32/64)",
      group: 'Weights:',
    })
    .option('dtype', { choices: ['float32', 'float64'] as const, describe: "compute in this precision (default: float64 when any of the file's arrays is float64, else float32)", group: 'Weights:' })
    .option('stride1', { type: 'number', describe: "first convolution stride, for the seed network's files without configuration arrays (default 1)", coerce: positiveInt('stride1', 4096), group: 'Weights:' })
    .option('stride2', { type: 'number', describe: "second convolution stride, for the seed network's files without configuration arrays (default 2)", coerce: positiveInt('stride2', 4096), group: 'Weights:' });
}

export interface WeightsFlags {
  weights: string;
  dtype?: Dtype;
  stride1?: number;
  stride2?: number;
}

export function weightsOptionsFrom(a: WeightsFlags): LoadWeightsOptions {
  return { dtype: a.dtype, stride1: a.stride1, stride2: a.stride2 };
}
