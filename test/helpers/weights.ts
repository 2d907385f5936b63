import { readNpz } from '../../src/data/npz.js';

/** The six seed arrays of a saved weights file, as raw bytes, for bitwise comparison. */
export async function weightBytes(path: string): Promise<Buffer> {
  const arrays = await readNpz(path);
  return Buffer.concat(
    ['kern', 'kb', 'kern2', 'kb2', 'w', 'b'].map((k) => {
      const d = arrays.get(k)!.data;
      return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
    }),
  );
}
