import { type KernelChoice, resolveKernels, UnsupportedDtype } from '../kernels/index.js';
import type { Dtype } from '../model/float-array.js';
import { UserError } from '../util/errors.js';

/** --kernels resolved against the dtype, a mismatch worded for the command line. */
export function kernelsOption(requested: KernelChoice | 'auto', dtype: Dtype): KernelChoice {
  try {
    return resolveKernels(requested, dtype);
  } catch (e) {
    if (e instanceof UnsupportedDtype) throw new UserError(`--kernels ${e.kernels} computes in float32 only; use --dtype float32 or --kernels typescript`);
    throw e;
  }
}
