import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The two builds of assembly/ (asconfig.json): with relaxed-SIMD FMA, and plain 128-bit SIMD. */
export type WasmSimd = 'relaxed-simd-fma' | 'simd';

const FILE_NAMES: Record<WasmSimd, string> = {
  'relaxed-simd-fma': 'kernels-relaxed-simd.wasm',
  simd: 'kernels-simd.wasm',
};

/**
 * `npm run build:wasm` writes dist/wasm/. From dist/src/kernels/wasm/ that is ../../../wasm/; when
 * this module runs from its TypeScript source (the tests), it is ../../../dist/wasm/.
 */
export function wasmModulePath(simd: WasmSimd): string {
  const name = FILE_NAMES[simd];
  const here = import.meta.url;
  const candidates = [new URL(`../../../wasm/${name}`, here), new URL(`../../../dist/wasm/${name}`, here)].map((u) => fileURLToPath(u));
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined) throw new Error(`wasm kernels not found at ${candidates.join(' or ')}: run \`npm run build:wasm\``);
  return found;
}
