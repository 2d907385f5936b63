import { type WasmMemory, type WasmModule, WebAssemblyApi } from './wasm-api.js';

/** What the module of assembly/index.ts exports; addresses are byte offsets in the shared memory. */
export interface KernelExports {
  loadInput(cfg: number, kind: number, divisor: number): void;
  prepare(cfg: number, params: number): void;
  forward(cfg: number, params: number): void;
  backward(cfg: number, params: number, slot: number): void;
  conv1Forward(cfg: number): void;
  conv2Forward(cfg: number): void;
  denseForward(cfg: number, params: number): void;
  denseBackward(cfg: number, params: number, slot: number): void;
  conv2Backward(cfg: number, slot: number): void;
  conv1Backward(cfg: number, slot: number): void;
  /** Any layer stack: `n` is an instance's configuration block (stack-layout.ts), `l` one layer's record in it. */
  stackLoadInput(n: number, kind: number, divisor: number): void;
  stackPrepare(n: number, params: number): void;
  stackForward(n: number, params: number): void;
  stackBackward(n: number, params: number, slot: number): void;
  layerForward(l: number, params: number, plain: number): void;
  layerBackward(l: number, params: number, slot: number, plain: number): void;
  /** A slot's gradient's L2 norm; scaled in place to at most maxNorm when maxNorm > 0 (privacy/clip.ts). `layout`: slot-layout-words.ts. */
  clipSlot(slot: number, layout: number, maxNorm: number): number;
  addLaidOutSlots(sum: number, slots: number, stride: number, layout: number, first: number, last: number, from: number, to: number, fresh: boolean): void;
  meanOfSum(mean: number, sum: number, n: number, divisor: number): number;
  /** `count` f64 values at `out`: stddev x rng/ziggurat.ts's normals of the xoshiro128** state at `state` (four words); `tables`: ZIGGURAT_TABLES. */
  drawNormals(out: number, count: number, stddev: number, tables: number, state: number): void;
  adamUpdate(
    params: number,
    grad: number,
    m: number,
    v: number,
    n: number,
    lrT: number,
    beta1: number,
    beta2: number,
    oneMinusBeta1: number,
    oneMinusBeta2: number,
    eps: number,
  ): number;
}

/** The compiled module and the memory it runs on: all a thread needs to make its own instances. */
export interface WasmModuleAndMemory {
  readonly memory: WasmMemory;
  readonly module: WasmModule;
}

/**
 * A new instance on the shared memory. Cheap (the module is compiled once, on the main thread) and
 * stateless: instances keep everything in the memory, at addresses their callers pass in.
 */
export function instantiateKernels({ memory, module }: WasmModuleAndMemory): KernelExports {
  // The noise's rare draws take the host's exp and log, so that they round as the reference's do.
  const instance = new WebAssemblyApi.Instance(module, { env: { memory, 'Math.exp': Math.exp, 'Math.log': Math.log } });
  return instance.exports as unknown as KernelExports;
}

// One instance per module and memory per thread, made on first use by the main thread's kernels.
const instances = new WeakMap<WasmModule, WeakMap<WasmMemory, KernelExports>>();

/** The instance of this thread for `backend`, made once and reused (slot sums and Adam call it every step). */
export function cachedKernels(backend: WasmModuleAndMemory): KernelExports {
  let byMemory = instances.get(backend.module);
  if (!byMemory) instances.set(backend.module, (byMemory = new WeakMap()));
  let kernels = byMemory.get(backend.memory);
  if (!kernels) byMemory.set(backend.memory, (kernels = instantiateKernels(backend)));
  return kernels;
}
