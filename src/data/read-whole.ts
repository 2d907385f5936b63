import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { UserError } from '../util/errors.js';
import { whileReading } from './read-errors.js';

/** Pipes and devices have no size to check against; they are read up to this many bytes. */
export const MAX_UNSIZED_BYTES = 512 * 2 ** 20;

/**
 * The bytes of `path`. A regular file (or a directory, which fails as one) is read as Node reads
 * it; anything else, a pipe or a device such as /dev/zero that never ends, is read in pieces up to
 * `limit` bytes and refused past that instead of filling the memory. File-system errors are thrown
 * as they are, for the caller to word.
 */
export function readWhole(path: string, limit = MAX_UNSIZED_BYTES): Buffer {
  const fd = openSync(path, 'r');
  try {
    const stats = fstatSync(fd);
    if (stats.isFile() || stats.isDirectory()) return readFileSync(fd);
    // A pipe hands over some tens of KiB a read: each is copied out of one buffer at its own size.
    const buffer = Buffer.allocUnsafe(2 ** 20);
    const pieces: Buffer[] = [];
    let total = 0;
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) return Buffer.concat(pieces, total);
      total += read;
      if (total > limit) throw new UserError(`${path}: not a regular file, and it goes on past ${limit / 2 ** 20} MiB without ending`);
      pieces.push(Buffer.from(buffer.subarray(0, read)));
    }
  } finally {
    closeSync(fd);
  }
}

/** readWhole, with a failure of the file system as one line about `path`; `what` is the file it should be. */
export function readFileAs(path: string, what: string): Buffer {
  return whileReading(path, () => readWhole(path), { what, missing: 'no such file' });
}
