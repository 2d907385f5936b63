// Reads .npz fixtures written by real numpy (scripts/make_data_fixtures.py) and compares with
// what numpy itself says they hold (the .json files written next to them).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNpy, type NpyArray } from '../src/data/npy.js';
import { openNpz, readNpz } from '../src/data/npz.js';
import { UserError } from '../src/util/errors.js';
import { temporaryDirectories } from './helpers/cli.js';
import { numpyImportable, PYTHON, torchImportable } from './helpers/python.js';

const dir = join(import.meta.dirname, 'fixtures', 'data');
const fixture = (name: string) => join(dir, name);

interface Expected {
  dtype: string;
  shape: number[];
  values: (number | string)[];
}
const expectedOf = (name: string): Record<string, Expected> => JSON.parse(readFileSync(fixture(name), 'utf8'));

function valuesOf(a: NpyArray): (number | string)[] {
  if (a.data instanceof BigInt64Array || a.data instanceof BigUint64Array) return Array.from(a.data, (v) => v.toString());
  return Array.from(a.data as ArrayLike<number>);
}

function expectSame(actual: NpyArray | undefined, expected: Expected) {
  expect(actual).toBeDefined();
  expect(actual!.dtype).toBe(expected.dtype);
  expect(actual!.shape).toEqual(expected.shape);
  // toEqual on numbers distinguishes -0 from 0 and treats NaN as equal, which is what exactness means here.
  const want = expected.dtype.startsWith('f') ? expected.values.map(Number) : expected.values;
  expect(valuesOf(actual!)).toEqual(want);
}

async function errorOf(promise: Promise<unknown>): Promise<UserError> {
  const e = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(UserError);
  const err = e as UserError;
  expect(err.message).not.toContain('\n');
  expect(err.exitCode).toBe(2);
  return err;
}

describe('readNpz: every dtype numpy writes for numbers', () => {
  const expected = expectedOf('dtypes.json');
  for (const file of ['dtypes.npz', 'dtypes_compressed.npz']) {
    it(`${file} (${file.includes('compressed') ? 'np.savez_compressed, deflated' : 'np.savez, stored'})`, async () => {
      const arrays = await readNpz(fixture(file));
      expect([...arrays.keys()].sort()).toEqual(Object.keys(expected).sort());
      for (const [key, want] of Object.entries(expected)) expectSame(arrays.get(key), want);
    });
  }

  it('f2 is widened to Float32Array, b1 is 0/1 bytes, i8 is BigInt64Array (exact beyond 2^53)', async () => {
    const arrays = await readNpz(fixture('dtypes.npz'));
    expect(arrays.get('f2')!.data).toBeInstanceOf(Float32Array);
    expect(arrays.get('b1')!.data).toBeInstanceOf(Uint8Array);
    expect(arrays.get('i8')!.data).toBeInstanceOf(BigInt64Array);
    expect(arrays.get('u8')!.data).toBeInstanceOf(BigUint64Array);
  });

  it('shape=() scalar and shape=(0,3) empty arrays', async () => {
    const arrays = await readNpz(fixture('dtypes.npz'));
    expect(arrays.get('scalar')!.shape).toEqual([]);
    expect(Array.from(arrays.get('scalar')!.data as Float64Array)).toEqual([2.5]);
    expect(arrays.get('empty')!.shape).toEqual([0, 3]);
    expect(arrays.get('empty')!.data.length).toBe(0);
  });
});

describe('readNpz: layouts npyjs gets wrong', () => {
  it('big-endian arrays are converted to native order', async () => {
    const expected = expectedOf('dtypes.json');
    const arrays = await readNpz(fixture('bigendian.npz'));
    for (const key of ['u2', 'i2', 'u4', 'i4', 'u8', 'i8', 'f2', 'f4', 'f8']) expectSame(arrays.get(key), expected[key]);
  });

  it('Fortran-order arrays (2-D to 4-D, one also big-endian) come back in C order', async () => {
    const expected = expectedOf('fortran.json');
    const arrays = await readNpz(fixture('fortran.npz'));
    for (const [key, want] of Object.entries(expected)) expectSame(arrays.get(key), want);
  });

  it('float64 data at an offset 8 does not divide is copied to an aligned array', async () => {
    const x = (await readNpz(fixture('misaligned.npz'))).get('x')!;
    expect(x.data.byteOffset % 8).toBe(0);
    expect(Array.from(x.data as Float64Array)).toEqual([1.5, -2.25, 1e100]);
  });

  it("Python 2 headers ('3L') and format version 2.0 are read", async () => {
    for (const file of ['py2_header.npz', 'version2.npz']) {
      const x = (await readNpz(fixture(file))).get('x')!;
      expect(x.shape).toEqual([3]);
      expect(Array.from(x.data as Float64Array)).toEqual([1.5, -2.25, 1e100]);
    }
  });

  it('every member is a key, as np.load lists them; one that is no array says so when read', async () => {
    const archive = await openNpz(fixture('mixed_members.npz'));
    expect(archive.keys).toEqual(['a', 'README.txt']);
    expect(Array.from((await archive.read('a')).data as Int32Array)).toEqual([0, 1, 2]);
    const e = await errorOf(archive.read('README.txt'));
    expect(e.message).toMatch(new RegExp(`^${fixture('mixed_members.npz')}: key 'README.txt': not a \\.npy array`));
  });

  it('shared: true puts the data in a SharedArrayBuffer', async () => {
    const archive = await openNpz(fixture('fortran.npz'));
    for (const key of archive.keys) {
      const a = await archive.read(key, { shared: true });
      expect(a.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    }
    const plain = await archive.read('f4_3d', { shared: true });
    expect(Array.from(plain.data as Float32Array).slice(0, 4)).toEqual([0, 0.5, 1, 1.5]);
  });
});

describe('readNpz: refused dtypes name the file, the key and the dtype', () => {
  const cases: [string, RegExp][] = [
    ['object.npz', /'\|O'.*object/],
    ['unicode.npz', /'<U3'.*strings/],
    ['bytestrings.npz', /'\|S3'.*strings/],
    ['complex.npz', /'<c16'.*complex/],
    ['structured.npz', /structured/],
    ['datetime.npz', /'<M8\[D\]'.*dates/],
  ];
  for (const [file, problem] of cases) {
    it(file, async () => {
      const e = await errorOf(readNpz(fixture(file)));
      expect(e.message).toContain(`${fixture(file)}: key 'x': unsupported dtype`);
      expect(e.message).toMatch(problem);
    });
  }
});

describe('readNpz: broken files', () => {
  const cases: [string, string][] = [
    ['missing.npz', 'no such file'],
    ['not_a_zip.npz', 'not a zip archive'],
    ['single_array.npz', 'a single .npy array, not an .npz archive'],
    ['gzip_not_zip.npz', 'a gzip file'],
    ['empty.npz', 'empty file'],
    ['truncated.npz', 'corrupted or truncated zip archive'],
    ['crc_mismatch.npz', "key 'x': CRC-32 mismatch"],
    ['truncated_member.npz', "key 'x': truncated array data: shape (10) of f4 needs 40 bytes, found 34"],
    ['extra_bytes_member.npz', "key 'x': 8 extra bytes after the data"],
    ['bad_npy_magic.npz', "key 'x': not a .npy array"],
    // Counted before allocating: trusting the header would ask for 784 GB and fail as "Array buffer allocation failed".
    ['announces_too_much.npz', "key 'x': truncated array data: shape (1000000000, 28, 28) of u1 needs 784000000000 bytes, found 40"],
  ];
  for (const [file, problem] of cases) {
    it(`${file}: ${problem}`, async () => {
      const e = await errorOf(readNpz(fixture(file)));
      expect(e.message.startsWith(fixture(file))).toBe(true);
      expect(e.message).toContain(problem);
    });
  }

  it('corrupt_deflate.npz: damaged compressed data is reported, not returned', async () => {
    const e = await errorOf(readNpz(fixture('corrupt_deflate.npz')));
    expect(e.message.startsWith(fixture('corrupt_deflate.npz'))).toBe(true);
    expect(e.message).toMatch(/CRC-32 mismatch|corrupted or truncated/);
  });

  it('a directory is not an .npz file', async () => {
    const e = await errorOf(readNpz(dir));
    expect(e.message).toBe(`${dir}: is a directory, not an .npz file`);
  });

  it('asking for a key that is absent lists the keys found', async () => {
    const archive = await openNpz(fixture('mixed_members.npz'));
    const e = await errorOf(archive.read('images'));
    expect(e.message).toBe(`${fixture('mixed_members.npz')}: key 'images': no such array (keys found: a, README.txt)`);
  });
});

describe('parseNpy: header checks on hand-made bytes', () => {
  const header = (dict: string) => {
    const text = dict.padEnd(117, ' ') + '\n';
    return Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, text.length, 0, ...Array.from(text, (c) => c.charCodeAt(0))]);
  };
  const withData = (dict: string, bytes: number) => {
    const h = header(dict);
    const out = new Uint8Array(h.length + bytes);
    out.set(h);
    return out;
  };
  const problem = (bytes: Uint8Array) => {
    try {
      parseNpy(bytes, 'x.npz: key k');
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      return (e as Error).message;
    }
    throw new Error('expected a UserError');
  };

  it('unknown format version', () => {
    const b = header("{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }");
    b[6] = 9;
    expect(problem(b)).toBe('x.npz: key k: unsupported .npy format version 9.0');
  });
  it('header longer than the file', () => {
    expect(problem(header("{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }").subarray(0, 50))).toMatch(/truncated .npy header/);
  });
  it('header missing shape', () => {
    expect(problem(withData("{'descr': '<f4', 'fortran_order': False, }", 0))).toMatch(/needs descr, fortran_order and shape/);
  });
  it('header that is not a Python literal', () => {
    expect(problem(withData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,3 }", 24))).toMatch(/malformed .npy header/);
  });
  it('negative dimension', () => {
    expect(problem(withData("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3), }", 24))).toMatch(/bad shape dimension -2/);
  });
  it("unknown dtype code 'f3'", () => {
    expect(problem(withData("{'descr': '<f3', 'fortran_order': False, 'shape': (1,), }", 3))).toBe("x.npz: key k: unsupported dtype '<f3'");
  });
  it('shape=(2,3) f8 with 40 of 48 bytes', () => {
    expect(problem(withData("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", 40))).toBe(
      'x.npz: key k: truncated array data: shape (2, 3) of f8 needs 48 bytes, found 40',
    );
  });
  it('a view at an odd byteOffset of a larger buffer is still read', () => {
    const inner = withData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8);
    new DataView(inner.buffer).setFloat32(128, 1.25, true);
    new DataView(inner.buffer).setFloat32(132, -3, true);
    const outer = new Uint8Array(inner.length + 1);
    outer.set(inner, 1);
    const a = parseNpy(outer.subarray(1));
    expect(Array.from(a.data as Float32Array)).toEqual([1.25, -3]);
  });
});

describe.runIf(torchImportable)('a torch.save file, a zip too', () => {
  const fresh = temporaryDirectories('torch-save-');
  it('is named as what it is and how to export it, not as a corrupt archive', async () => {
    const path = join(fresh(), 'w.pt');
    const r = spawnSync(PYTHON, ['-c', 'import sys, torch\ntorch.save({"0.weight": torch.zeros(2, 3)}, sys.argv[1])', path], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const e = await errorOf(openNpz(path));
    expect(e.message).toBe(
      `${path}: a PyTorch torch.save file (pickled tensors in a zip), not an .npz; load it with torch.load and save its arrays with np.savez (e.g. np.savez(f, **{k: v.numpy() for k, v in state_dict.items()}))`,
    );
  });
});

describe.runIf(numpyImportable)("archives Python's zipfile writes, beyond np.savez's", () => {
  const fresh = temporaryDirectories('zipfile-');
  /** x.npy in an archive by zipfile with `compression`; `bare` leaves off the member's .npy suffix; `header` edits the .npy header. */
  const write = (path: string, compression: string, options: { bare?: boolean; header?: [string, string] } = {}) => {
    const code = [
      'import io, sys, zipfile, numpy as np',
      'b = io.BytesIO(); np.save(b, np.arange(6, dtype=np.float32).reshape(2, 3)); data = b.getvalue()',
      `data = data.replace(${JSON.stringify(options.header?.[0] ?? '')}.encode(), ${JSON.stringify(options.header?.[1] ?? '')}.encode()) if ${options.header ? 'True' : 'False'} else data`,
      `with zipfile.ZipFile(sys.argv[1], "w", compression=getattr(zipfile, "${compression}")) as z: z.writestr("x" if ${options.bare ? 'True' : 'False'} else "x.npy", data)`,
    ].join('\n');
    const r = spawnSync(PYTHON, ['-c', code, path], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  };
  for (const [method, name] of [['ZIP_LZMA', 'LZMA'], ['ZIP_BZIP2', 'bzip2']]) {
    it(`${name} members are named as such, not as a corrupt archive`, async () => {
      const path = join(fresh(), 'x.npz');
      write(path, method);
      const e = await errorOf(openNpz(path));
      expect(e.message).toBe(`${path}: member x.npy is compressed with ${name}; .npz archives are stored or deflated (np.savez, np.savez_compressed), so save it again with one of those`);
    });
  }
  it('a member without the .npy suffix is read under its name, as np.load reads it', async () => {
    const path = join(fresh(), 'bare.npz');
    write(path, 'ZIP_DEFLATED', { bare: true });
    expect(Array.from((await readNpz(path)).get('x')!.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
  });
  it('x and x.npy both: x is read, in either order, as np.load reads it', async () => {
    for (const [first, second] of [['x', 'x.npy'], ['x.npy', 'x']]) {
      const path = join(fresh(), 'both.npz');
      const code = [
        'import io, sys, zipfile, numpy as np',
        'def npy(a):',
        '    b = io.BytesIO(); np.save(b, a); return b.getvalue()',
        'arrays = {"x": npy(np.arange(3, dtype=np.int32)), "x.npy": npy(np.zeros(3, dtype=np.int32))}',
        'with zipfile.ZipFile(sys.argv[1], "w") as z:',
        '    for name in sys.argv[2:]: z.writestr(name, arrays[name])',
        'assert list(np.load(sys.argv[1])["x"]) == [0, 1, 2]',
      ].join('\n');
      const r = spawnSync(PYTHON, ['-c', code, path, first, second], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(Array.from((await readNpz(path)).get('x')!.data as Int32Array)).toEqual([0, 1, 2]);
    }
  });
  it("a header's newline is escaped in the message, which stays one line", async () => {
    const path = join(fresh(), 'newline.npz');
    write(path, 'ZIP_STORED', { header: ["'fortran_order'", "'fortran\norder'"] });
    const e = await errorOf(readNpz(path));
    expect(e.message).not.toContain('\n');
    expect(e.message).toContain('fortran\\norder');
  });
});
