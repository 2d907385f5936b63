import { readFile } from 'node:fs/promises';
import JSZip from 'jszip';

/**
 * A numpy unicode scalar (dtype '<U<n>', UTF-32 little-endian) from an .npz, such as the golden
 * files' `spec`: src/data/npy.ts reads numbers only, since strings are never image or label data.
 */
export async function readNpzString(path: string, key: string): Promise<string> {
  const zip = await JSZip.loadAsync(await readFile(path));
  const member = zip.file(`${key}.npy`);
  if (!member) throw new Error(`${path} lacks ${key}`);
  const bytes = await member.async('uint8array');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = (major === 1 ? 10 : 12) + headerLength;
  const header = new TextDecoder().decode(bytes.subarray(dataStart - headerLength, dataStart));
  if (!/'descr': '<U\d+'/.test(header)) throw new Error(`${path}: ${key} is not a little-endian unicode string: ${header}`);
  let text = '';
  for (let at = dataStart; at + 4 <= bytes.length; at += 4) {
    const code = view.getUint32(at, true);
    if (code === 0) break;
    text += String.fromCodePoint(code);
  }
  return text;
}
