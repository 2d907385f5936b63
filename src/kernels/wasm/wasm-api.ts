/**
 * The part of the WebAssembly JS API used here, typed locally: TypeScript's ES2022 lib has no
 * WebAssembly namespace (it lives in lib.dom) and @types/node 20 does not declare one. A local type
 * cannot clash with a later lib or @types/node that does; the real objects satisfy these shapes.
 */
export interface WasmMemory {
  /** For a shared memory, a SharedArrayBuffer over the current size (a new object after a grow). */
  readonly buffer: ArrayBufferLike;
  grow(deltaPages: number): number;
}

/** A compiled module: opaque, postable to workers. */
export interface WasmModule {
  readonly __wasmModule?: never;
}

interface WebAssemblyNamespace {
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { readonly exports: object };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}

export const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WebAssemblyNamespace }).WebAssembly;
