// The wasm SIMD kernels' public API; README.md in this directory has the contract.
export { createWasmBackend, WasmBackend, type WasmBackendOptions, type WasmHandle, type WasmSimd } from './wasm-backend.js';
export type { WasmModuleAndMemory } from './kernel-exports.js';
export type { WasmMemory, WasmModule } from './wasm-api.js';
export { allocFloat32 } from './shared-memory.js';
export { WasmNetwork } from './wasm-network.js';
export { WasmAdam } from './adam.js';
export { WasmSlotSum } from './slot-sum.js';
export { WasmStackNetwork, type WasmStackOptions } from './wasm-stack-network.js';
