// writeNpz against numpy: the same header bytes as np.save (fixture written by numpy), loads in
// np.load without pickle, round-trips exactly, and never leaves a partial file behind.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import JSZip from 'jszip';
import { afterAll, describe, expect, it } from 'vitest';
import { readNpz } from '../src/data/npz.js';
import { encodeNpy, writeNpz, type NpzWriteArray } from '../src/data/npz-write.js';
import { UserError } from '../src/util/errors.js';
import { numpyImportable, PYTHON } from './helpers/python.js';

const fixture = join(import.meta.dirname, 'fixtures', 'data', 'written_by_numpy.npz');
const work = mkdtempSync(join(tmpdir(), 'npz-write-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The arrays scripts/make_data_fixtures.py saves into written_by_numpy.npz. */
const SAME_AS_FIXTURE: Record<string, NpzWriteArray> = {
  f4: { data: new Float32Array([1.5, -2.0, 0.1]), shape: [1, 3] },
  f8: { data: new Float64Array([Math.PI, -0, 1e-300, 5]), shape: [2, 2] },
  i4: { data: new Int32Array([-5, 0, 7]), shape: [3] },
  i8: { data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]), shape: [2] },
  u1: { data: Uint8Array.from({ length: 24 }, (_, i) => i), shape: [2, 3, 4] },
  scalar: { data: new Float64Array([3.25]), shape: [] },
  empty: { data: new Uint8Array(0), shape: [0, 28, 28] },
};


describe('encodeNpy', () => {
  it('writes the same bytes as np.save for f4, f8, i4, i8, u1, shape=() and shape=(0,28,28)', async () => {
    const zip = await JSZip.loadAsync(readFileSync(fixture));
    for (const [key, { data, shape }] of Object.entries(SAME_AS_FIXTURE)) {
      const numpyBytes = await zip.file(`${key}.npy`)!.async('uint8array');
      expect(Buffer.from(encodeNpy(data, shape)).equals(Buffer.from(numpyBytes)), key).toBe(true);
    }
  });

  it('refuses a shape that does not match the data length', () => {
    expect(() => encodeNpy(new Float32Array(5), [2, 3])).toThrow(/shape \(2, 3\) does not hold 5 elements/);
  });
});

describe('writeNpz round trip', () => {
  const arrays: Record<string, NpzWriteArray> = {
    ...SAME_AS_FIXTURE,
    special: { data: new Float64Array([NaN, Infinity, -Infinity, -0, Number.MIN_VALUE, Number.MAX_VALUE]), shape: [6] },
    shared: { data: new Float32Array(new SharedArrayBuffer(16)).fill(0.25), shape: [2, 2] },
    sub: { data: new Int32Array([9, 8, 7, 6, 5]).subarray(1, 4), shape: [3] },
  };

  for (const compress of [false, true]) {
    it(`readNpz gives back every value exactly (${compress ? 'deflated' : 'stored'})`, async () => {
      const path = join(work, `roundtrip-${compress}.npz`);
      await writeNpz(path, arrays, { compress });
      const back = await readNpz(path);
      expect([...back.keys()]).toEqual(Object.keys(arrays));
      for (const [key, { data, shape }] of Object.entries(arrays)) {
        const got = back.get(key)!;
        expect(got.shape, key).toEqual(shape);
        expect(got.data.constructor, key).toBe(data.constructor);
        expect(Array.from(got.data as ArrayLike<unknown>), key).toEqual(Array.from(data as ArrayLike<unknown>));
      }
    });
  }

  it.skipIf(!numpyImportable)('np.load(allow_pickle=False) reads the same dtypes, shapes and values, data 64-byte aligned', async () => {
    const path = join(work, 'for-numpy.npz');
    await writeNpz(path, SAME_AS_FIXTURE);
    const script = `
import json, sys, zipfile, numpy as np
from numpy.lib import format as fmt
out = {}
with np.load(sys.argv[1], allow_pickle=False) as z:
    for k in z.files:
        a = z[k]
        vals = [str(v) for v in a.ravel().tolist()]
        out[k] = {'dtype': a.dtype.str, 'shape': list(a.shape), 'values': vals}
with zipfile.ZipFile(sys.argv[1]) as zf:
    for name in zf.namelist():
        f = zf.open(name)
        version = fmt.read_magic(f)
        (fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0)(f)
        out[name[:-4]]['offset'] = f.tell()
print(json.dumps(out))`;
    const result = JSON.parse(execFileSync(PYTHON, ['-c', script, path], { encoding: 'utf8' }));
    expect(result.f8.values).toEqual(['3.141592653589793', '-0.0', '1e-300', '5.0']);
    expect(result.f4.values).toEqual(['1.5', '-2.0', '0.10000000149011612']);
    for (const [key, { data, shape }] of Object.entries(SAME_AS_FIXTURE)) {
      const r = result[key];
      expect(r.shape, key).toEqual(shape);
      expect(r.offset % 64, key).toBe(0);
      expect(r.dtype, key).toBe({ f4: '<f4', f8: '<f8', i4: '<i4', i8: '<i8', u1: '|u1', scalar: '<f8', empty: '|u1' }[key]);
      if (key === 'i4' || key === 'i8' || key === 'u1') expect(r.values, key).toEqual(Array.from(data as ArrayLike<number | bigint>, String));
    }
  });
});

describe('writeNpz is atomic', () => {
  const onlyFiles = (dir: string) => readdirSync(dir).sort();

  it('replaces an existing file and leaves no temporary file', async () => {
    const dir = mkdtempSync(join(work, 'replace-'));
    const path = join(dir, 'weights.npz');
    writeFileSync(path, 'old contents');
    await writeNpz(path, { w: { data: new Float32Array([1, 2]), shape: [2] } });
    expect(onlyFiles(dir)).toEqual(['weights.npz']);
    expect(Array.from((await readNpz(path)).get('w')!.data as Float32Array)).toEqual([1, 2]);
  });

  it('a missing directory fails with a UserError naming the path, and creates nothing', async () => {
    const path = join(work, 'no-such-dir', 'weights.npz');
    const e = await writeNpz(path, { w: { data: new Float32Array(1), shape: [1] } }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).toBe(`${path}: cannot write .npz file (its directory does not exist)`);
  });

  it('when the rename fails (a directory is in the way) the temporary file is removed', async () => {
    const dir = mkdtempSync(join(work, 'blocked-'));
    const path = join(dir, 'weights.npz');
    mkdirSync(path);
    writeFileSync(join(path, 'keep'), 'x');
    const e = await writeNpz(path, { w: { data: new Float32Array(1), shape: [1] } }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot write .npz file \\(`));
    expect(onlyFiles(dir)).toEqual(['weights.npz']);
    expect(readdirSync(path)).toEqual(['keep']);
  });

  it('a bad shape fails before anything is written', async () => {
    const dir = mkdtempSync(join(work, 'badshape-'));
    await expect(writeNpz(join(dir, 'w.npz'), { w: { data: new Float32Array(3), shape: [2, 2] } })).rejects.toThrow(/does not hold 3/);
    expect(onlyFiles(dir)).toEqual([]);
  });
});
