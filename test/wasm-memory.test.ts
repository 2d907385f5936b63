import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allocFloat32, createWasmBackend, WasmNetwork } from '../src/kernels/wasm/index.js';
import { wasmModulePath } from '../src/kernels/wasm/module-files.js';
import { deriveDims, SEED_MODEL } from '../src/model/config.js';

const dims = deriveDims({ ...SEED_MODEL, imageHeight: 28, imageWidth: 28, classes: 10 });

/** Section ids of a wasm binary, and the names of its imports (enough of the format to check the contract). */
function sections(bytes: Uint8Array): { ids: number[]; imports: string[] } {
  let at = 8;
  const leb = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++];
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
    }
  };
  const name = () => {
    const length = leb();
    const s = Buffer.from(bytes.subarray(at, at + length)).toString('utf8');
    at += length;
    return s;
  };
  const ids: number[] = [];
  const imports: string[] = [];
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = leb();
    const end = at + size;
    ids.push(id);
    if (id === 2) {
      for (let count = leb(), i = 0; i < count; i++) {
        imports.push(`${name()}.${name()}`);
        const kind = bytes[at++];
        if (kind === 0) {
          leb(); // a function's type index
          continue;
        }
        if (kind !== 2) throw new Error('only function and memory imports were expected');
        const flags = bytes[at++];
        leb();
        if (flags & 1) leb();
      }
    }
    at = end;
  }
  return { ids, imports };
}

describe('wasm module contract', () => {
  for (const variant of ['relaxed-simd-fma', 'simd'] as const) {
    it(`${variant}: imports env.memory (and the host's exp and log, for the noise) and has no data segments (instances share the memory)`, () => {
      const { ids, imports } = sections(new Uint8Array(readFileSync(wasmModulePath(variant))));
      expect([...imports].sort()).toEqual(['env.Math.exp', 'env.Math.log', 'env.memory']);
      expect(ids).not.toContain(11); // data
      expect(ids).not.toContain(6); // globals: nothing per instance either
    });
  }

  it('auto picks relaxed-SIMD FMA where V8 compiles it (Node 20: behind --experimental-wasm-relaxed-simd), else plain SIMD', async () => {
    const auto = await createWasmBackend();
    const plain = await createWasmBackend({ simd: 'simd' });
    expect(['relaxed-simd-fma', 'simd']).toContain(auto.simd);
    expect(plain.simd).toBe('simd');
    console.log(`Node ${process.version} (V8 ${process.versions.v8}) runs ${auto.simd}`);
  });
});

describe('allocFloat32 on the shared memory', () => {
  it('16-byte aligned, disjoint, zero-filled, and growing the memory keeps earlier views valid', async () => {
    const { memory } = await createWasmBackend({ initialBytes: 65536 });
    const a = allocFloat32(memory, 3);
    const b = allocFloat32(memory, 100_000); // more than the initial page
    expect(a.byteOffset % 16).toBe(0);
    expect(b.byteOffset % 16).toBe(0);
    expect(b.byteOffset).toBeGreaterThanOrEqual(a.byteOffset + 16);
    expect(memory.buffer.byteLength).toBeGreaterThanOrEqual(b.byteOffset + b.byteLength);
    expect(b.every((v) => v === 0)).toBe(true);
    a[2] = 5;
    expect(new Float32Array(memory.buffer, a.byteOffset, 3)[2]).toBe(5);
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
  });
});

describe('WasmNetwork rejects buffers outside its memory, with a one-line reason', () => {
  const images = { pixels: new Uint8Array(784), divisor: 255 };

  it('prepare() not called', async () => {
    const backend = await createWasmBackend();
    const net = WasmNetwork.create(backend, dims);
    const params = allocFloat32(backend.memory, net.layout.total);
    expect(() => net.sampleLogits(params, images, 0, new Float32Array(10))).toThrow(/prepare\(params\) was never called/);
  });

  it('params at another address than the prepared ones', async () => {
    const backend = await createWasmBackend();
    const net = WasmNetwork.create(backend, dims);
    const params = allocFloat32(backend.memory, net.layout.total);
    net.prepare(params);
    const other = allocFloat32(backend.memory, net.layout.total);
    expect(() => net.sampleLogits(other, images, 0, new Float32Array(10))).toThrow(/call prepare\(params\) first/);
  });

  it('a Float64Array, a plain SharedArrayBuffer, another backend\'s memory, a short slot', async () => {
    const backend = await createWasmBackend();
    const stranger = await createWasmBackend();
    const net = WasmNetwork.create(backend, dims);
    const n = net.layout.total;
    const params = allocFloat32(backend.memory, n);
    net.prepare(params);
    const slot = allocFloat32(backend.memory, n);
    expect(() => net.prepare(new Float64Array(n))).toThrow(/params must be a Float32Array in the shared wasm memory/);
    expect(() => net.prepare(new Float32Array(new SharedArrayBuffer(4 * n)))).toThrow(/outside the shared wasm memory/);
    expect(() => net.prepare(allocFloat32(stranger.memory, n))).toThrow(/outside the shared wasm memory/);
    expect(() => net.sampleGradient(params, images, 0, 1, slot.subarray(n - 3753))).toThrow(/gradSlot has 3753 values, 3754 needed/);
    expect(() => net.sampleGradient(params, images, 0, 10, slot)).toThrow(/label 10/);
    expect(() => net.sampleGradient(params, images, 1, 1, slot)).toThrow(/image 1 is outside/);
  });
});
