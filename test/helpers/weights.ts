import { openNpz } from '../../src/data/npz.js';

/** Every parameter array of a saved weights file (the seed's names or nn.Sequential's), as raw bytes, for bitwise comparison. */
export async function weightBytes(path: string): Promise<Buffer> {
  const archive = await openNpz(path);
  const names = archive.keys.filter((k) => ['kern', 'kb', 'kern2', 'kb2', 'w', 'b'].includes(k) || /^\d+\.(weight|bias)$/.test(k));
  const parts: Buffer[] = [];
  for (const name of names) {
    const d = (await archive.read(name)).data;
    parts.push(Buffer.from(d.buffer, d.byteOffset, d.byteLength));
  }
  return Buffer.concat(parts);
}
