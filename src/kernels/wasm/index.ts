// The wasm SIMD kernels' public API; README.md in this directory has the contract.
export { createWasmBackend, type WasmBackend, type WasmBackendOptions, type WasmSimd } from './backend.js';
export type { WasmModuleAndMemory } from './kernel-exports.js';
export type { WasmMemory, WasmModule } from './wasm-api.js';
export { allocFloat32 } from './shared-memory.js';
export { WasmNetwork } from './wasm-network.js';
export { WasmAdam, type WasmAdamState, wasmAdamUpdate, WasmSlotSum } from './optim.js';
