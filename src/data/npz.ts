/**
 * Reads NumPy `.npz` archives (`np.savez` stores members, `np.savez_compressed` deflates them).
 * Every failure is a UserError of one line, `<path>[: key '<key>']: <what is wrong>`, because the
 * CLI prints it as is and the user has to know which file, and which array in it, to fix.
 */
import { crc32 } from 'node:zlib';
import type JSZip from 'jszip';
import { UserError } from '../util/errors.js';
import { loadJSZip } from './jszip.js';
import { readFileAs } from './read-whole.js';
import { checkNpyDataLength, decodeNpyData, npyDataOffset, parseNpy, parseNpyHeader, type NpyArray, type NpyHeader, type ParseNpyOptions } from './npy.js';

export interface NpzArchive {
  readonly path: string;
  /** Member names without the `.npy` suffix, in archive order. */
  readonly keys: string[];
  /**
   * Decompresses (CRC-checked at open) and parses one member, streaming its data straight into
   * the array's final buffer, so a 47 MB image array is not also held as a decompressed copy.
   */
  read(key: string, options?: ParseNpyOptions): Promise<NpyArray>;
  /** A str scalar (numpy's `<U<n>`, shape ()), such as a saved layer stack's `architecture`. */
  readText(key: string): Promise<string>;
}

/** torch.save's zip starts with its pickle, `<name>/data.pkl`; np.savez's members end in `.npy`. */
function isTorchSave(bytes: Uint8Array): boolean {
  const localHeader = bytes.length >= 30 && bytes[2] === 0x03 && bytes[3] === 0x04;
  if (!localHeader) return false;
  const nameLength = bytes[26] | (bytes[27] << 8);
  const name = new TextDecoder().decode(bytes.subarray(30, 30 + nameLength));
  return name.endsWith('/data.pkl');
}

/** Opens an archive and lists its arrays without decompressing any of them; `bytes` when already read (from a pipe). */
export async function openNpz(path: string, read?: Uint8Array): Promise<NpzArchive> {
  const bytes = read ?? (await readFileAs(path, 'an .npz file'));
  checkZipMagic(bytes, path);
  if (isTorchSave(bytes)) {
    throw new UserError(`${path}: a PyTorch torch.save file (pickled tensors in a zip), not an .npz; load it with torch.load and save its arrays with np.savez (e.g. np.savez(f, **{k: v.numpy() for k, v in state_dict.items()}))`);
  }
  const jszip = await loadJSZip();
  let zip: JSZip;
  try {
    // Checks every member's CRC up front (streaming, nothing kept), so a flipped bit never reaches training.
    zip = await jszip.loadAsync(bytes, { checkCRC32: true });
  } catch (e) {
    if (/crc32/i.test(oneLine(e))) {
      const key = await findCrcMismatch(bytes);
      throw new UserError(`${path}: ${key === undefined ? '' : `key '${key}': `}CRC-32 mismatch, the archive is corrupted`);
    }
    const method = unsupportedMethod(oneLine(e));
    if (method !== null) {
      throw new UserError(`${path}: member ${method.member} is compressed with ${method.name}; .npz archives are stored or deflated (np.savez, np.savez_compressed), so save it again with one of those`);
    }
    throw new UserError(`${path}: corrupted or truncated zip archive (${oneLine(e)})`);
  }
  // np.load names every member, without its `.npy` suffix where it has one, and reads any as an
  // array; a member named exactly as asked wins over one that has the suffix.
  const members = new Map<string, JSZip.JSZipObject>();
  const entries = Object.values(zip.files).filter((entry) => !entry.dir);
  for (const entry of entries) if (entry.name.endsWith('.npy')) members.set(entry.name.slice(0, -4), entry);
  for (const entry of entries) if (!entry.name.endsWith('.npy')) members.set(entry.name, entry);
  return {
    path,
    keys: [...members.keys()],
    async read(key: string, options: ParseNpyOptions = {}): Promise<NpyArray> {
      const where = `${path}: key '${key}'`;
      const entry = members.get(key);
      if (!entry) throw new UserError(`${where}: no such array (keys found: ${[...members.keys()].join(', ') || 'none'})`);
      try {
        return await streamNpy(entry, where, options.shared ?? false);
      } catch (e) {
        if (e instanceof UserError) throw e;
        const message = oneLine(e);
        if (/crc32/i.test(message)) throw new UserError(`${where}: CRC-32 mismatch, the archive is corrupted`);
        throw new UserError(`${where}: corrupted or truncated zip member (${message})`);
      }
    },
    async readText(key: string): Promise<string> {
      const where = `${path}: key '${key}'`;
      const entry = members.get(key);
      if (!entry) throw new UserError(`${where}: no such array (keys found: ${[...members.keys()].join(', ') || 'none'})`);
      return decodeNpyText(await entry.async('uint8array'), where);
    },
  };
}

/** The text of a `.npy` str scalar: little-endian UTF-32 code points, NUL-padded. */
function decodeNpyText(bytes: Uint8Array, where: string): string {
  const dataOffset = npyDataOffset(bytes, where);
  if (dataOffset === undefined || dataOffset > bytes.length) throw new UserError(`${where}: truncated .npy header`);
  const header = new TextDecoder('latin1').decode(bytes.subarray(bytes[6] === 1 ? 10 : 12, dataOffset));
  if (!/'descr':\s*'<U\d+'/.test(header) || !/'shape':\s*\(\)/.test(header)) {
    throw new UserError(`${where}: expected a text scalar (a numpy str, dtype '<U'), got the array ${header.trim()}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let text = '';
  for (let at = dataOffset; at + 4 <= bytes.length; at += 4) {
    const code = view.getUint32(at, true);
    if (code === 0) break;
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw new UserError(`${where}: not valid text (code point 0x${code.toString(16)})`);
    text += String.fromCodePoint(code);
  }
  return text;
}

/**
 * Buffers chunks only until the header is complete, then copies the rest into a buffer of the
 * size the header announces (shared memory when asked), counting any bytes beyond it.
 */
async function streamNpy(entry: JSZip.JSZipObject, where: string, shared: boolean): Promise<NpyArray> {
  const memberBytes = uncompressedSize(entry);
  let head = new Uint8Array(0);
  let header: NpyHeader | undefined;
  let data: Uint8Array = new Uint8Array(0);
  let filled = 0;
  let extra = 0;
  const onChunk = (chunk: Uint8Array) => {
    let bytes = chunk;
    if (!header) {
      const joined = new Uint8Array(head.length + bytes.length);
      joined.set(head);
      joined.set(bytes, head.length);
      head = joined;
      const offset = npyDataOffset(head, where);
      if (offset === undefined || head.length < offset) return;
      header = parseNpyHeader(head.subarray(0, offset), where);
      // A header may announce far more than the member holds; allocating that first would fail
      // as "Array buffer allocation failed" (or take the memory) instead of saying what is wrong.
      if (memberBytes !== undefined) checkNpyDataLength(header, memberBytes - offset, where);
      data = new Uint8Array(shared ? new SharedArrayBuffer(header.dataBytes) : new ArrayBuffer(header.dataBytes));
      bytes = head.subarray(offset);
      head = new Uint8Array(0);
    }
    const take = Math.min(bytes.length, data.length - filled);
    data.set(bytes.subarray(0, take), filled);
    filled += take;
    extra += bytes.length - take;
  };
  // jszip's stream is a readable-stream v2 object (not async iterable), hence plain events.
  await new Promise<void>((resolve, reject) => {
    const stream = entry.nodeStream('nodebuffer');
    stream.on('data', (chunk: Uint8Array) => {
      try {
        onChunk(chunk);
      } catch (e) {
        stream.removeAllListeners('data');
        stream.pause();
        reject(e);
      }
    });
    stream.on('error', reject);
    stream.on('end', () => resolve());
  });
  // Never reached the end of the header: parseNpy reports the bad magic or the truncation.
  if (!header) return parseNpy(head, where);
  checkNpyDataLength(header, filled + extra, where);
  return decodeNpyData(header, data, where, { shared });
}

/**
 * The member's size from the zip directory. jszip keeps it only in a private field; without it
 * (another jszip) the data is still counted, after the allocation. The CRC check at open has
 * already decompressed every member, which fails on a size that does not match the data.
 */
function uncompressedSize(entry: JSZip.JSZipObject): number | undefined {
  const size = (entry as unknown as { _data?: { uncompressedSize?: unknown } })._data?.uncompressedSize;
  return typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 ? size : undefined;
}

/** Every array of an archive, keyed by name without `.npy`. */
export async function readNpz(path: string): Promise<Map<string, NpyArray>> {
  const archive = await openNpz(path);
  const arrays = new Map<string, NpyArray>();
  for (const key of archive.keys) arrays.set(key, await archive.read(key));
  return arrays;
}

/**
 * jszip's CRC error does not say which member failed; only on that error path, decompress each
 * member and compare with the CRC jszip read from the central directory (an internal field, so
 * a jszip that renames it just loses the key from the message).
 */
async function findCrcMismatch(bytes: Uint8Array): Promise<string | undefined> {
  try {
    const zip = await (await loadJSZip()).loadAsync(bytes);
    for (const entry of Object.values(zip.files)) {
      const stored = (entry as unknown as { _data?: { crc32?: number } })._data?.crc32;
      if (entry.dir || typeof stored !== 'number') continue;
      if (crc32(await entry.async('uint8array')) >>> 0 !== stored >>> 0) return entry.name.replace(/\.npy$/, '');
    }
  } catch {
    // Fall through: the message without a key is still true.
  }
  return undefined;
}


/** jszip's own message for a non-zip is about a missing central directory; say what the file is instead. */
function checkZipMagic(bytes: Uint8Array, path: string): void {
  const startsWith = (...magic: number[]) => magic.every((b, i) => bytes[i] === b);
  if (bytes.length === 0) throw new UserError(`${path}: empty file, not an .npz archive`);
  if (startsWith(0x50, 0x4b, 0x03, 0x04) || startsWith(0x50, 0x4b, 0x05, 0x06)) return;
  if (startsWith(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59)) throw new UserError(`${path}: a single .npy array, not an .npz archive`);
  if (startsWith(0x1f, 0x8b)) throw new UserError(`${path}: a gzip file, not an .npz (zip) archive`);
  throw new UserError(`${path}: not a zip archive, so not an .npz file`);
}

/** Zip's compression methods other than store (0) and deflate (8) that Python's zipfile writes. */
const ZIP_METHODS: Record<number, string> = { 0x0c: 'bzip2', 0x0e: 'LZMA', 0x5d: 'Zstandard', 0x5f: 'xz' };

/** jszip's words for a member it cannot decompress: "compression \x0E\x00 unknown (inner file : x.npy)". */
function unsupportedMethod(message: string): { name: string; member: string } | null {
  const found = /compression \\x([0-9A-Fa-f]{2})\\x([0-9A-Fa-f]{2}) unknown \(inner file : (.+)\)$/.exec(message);
  if (found === null) return null;
  const code = parseInt(found[1], 16) + 256 * parseInt(found[2], 16);
  return { name: ZIP_METHODS[code] ?? `method ${code}`, member: found[3] };
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
}
