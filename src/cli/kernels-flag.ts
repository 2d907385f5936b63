import { KERNEL_CHOICES } from '../kernels/index.js';

/** --kernels as every command that computes offers it: the backends kernels/ knows, or auto. */
export const KERNELS_FLAG = {
  choices: ['auto', ...KERNEL_CHOICES] as const,
  describe: 'auto: WebAssembly SIMD for float32, the TypeScript reference for float64',
  // Unquoted, as train shows its defaults.
  defaultDescription: 'auto',
};
