import { openNpz } from '../../src/data/npz.js';

/** A numpy str scalar (dtype '<U<n>') from an .npz, such as the golden files' `spec`. */
export async function readNpzString(path: string, key: string): Promise<string> {
  return (await openNpz(path)).readText(key);
}
