import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { Socket } from 'node:net';
import { UserError } from '../util/errors.js';
import { whileReading, whileReadingAsync } from './read-errors.js';

/** Pipes and devices have no size to check against; they are read up to this many bytes. */
export const MAX_UNSIZED_BYTES = 512 * 2 ** 20;

/** The synchronous reader's buffer: a read from a pipe fills some tens of KiB of it. */
const PIECE_BYTES = 2 ** 20;

/**
 * The bytes of `path`, without holding up the event loop where that could take long: a pipe
 * (`--data <(...)`) or a named pipe is read through the event loop, so that Ctrl-C is still heard
 * while its writer takes its time or has not come yet. Not through a blocking open or read on
 * libuv's thread pool: Node's exit waits for those threads, so a signal could not end the process.
 * Anything else is read as readWholeSync reads it.
 */
export async function readWhole(path: string, limit = MAX_UNSIZED_BYTES): Promise<Buffer> {
  const stats = statSync(path);
  if (!(stats.isFIFO() || stats.isSocket())) return readWholeSync(path, limit);
  // Non-blocking, a named pipe's open does not wait for its writer; the socket's reads do.
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  return new Promise<Buffer>((resolve, reject) => {
    const pipe = new Socket({ fd, readable: true, writable: false });
    const pieces = new Pieces(path, limit);
    pipe.on('data', (piece: Buffer) => {
      try {
        pieces.add(piece);
      } catch (e) {
        pipe.destroy();
        reject(e);
      }
    });
    pipe.on('end', () => {
      pipe.destroy();
      resolve(pieces.whole());
    });
    pipe.on('error', reject);
  });
}

/**
 * The bytes of `path`. A regular file (or a directory, which fails as one) is read as Node reads
 * it; anything else, a pipe or a device such as /dev/zero that never ends, is read in pieces up to
 * `limit` bytes and refused past that instead of filling the memory. File-system errors are thrown
 * as they are, for the caller to word. For callers that cannot wait (predict's images, a --model
 * JSON file); readWhole where a signal must be heard while a pipe is read.
 */
export function readWholeSync(path: string, limit = MAX_UNSIZED_BYTES): Buffer {
  const fd = openSync(path, 'r');
  try {
    const stats = fstatSync(fd);
    if (stats.isFile() || stats.isDirectory()) return readFileSync(fd);
    const pieces = new Pieces(path, limit);
    const buffer = Buffer.allocUnsafe(PIECE_BYTES);
    for (;;) {
      const read = readSync(fd, buffer, 0, PIECE_BYTES, null);
      if (read === 0) return pieces.whole();
      // Copied out at its own size: a pipe hands over some tens of KiB a read.
      pieces.add(Buffer.from(buffer.subarray(0, read)));
    }
  } finally {
    closeSync(fd);
  }
}

/** What a pipe has handed over so far, refused once it goes past `limit` bytes. */
class Pieces {
  private readonly pieces: Buffer[] = [];
  private total = 0;

  constructor(
    private readonly path: string,
    private readonly limit: number,
  ) {}

  add(piece: Buffer): void {
    this.total += piece.length;
    if (this.total > this.limit) throw new UserError(`${this.path}: not a regular file, and it goes on past ${this.limit / 2 ** 20} MiB without ending`);
    this.pieces.push(piece);
  }

  whole(): Buffer {
    return Buffer.concat(this.pieces, this.total);
  }
}

/** readWhole, with a failure of the file system as one line about `path`; `what` is the file it should be. */
export function readFileAs(path: string, what: string): Promise<Buffer> {
  return whileReadingAsync(path, () => readWhole(path), { what, missing: 'no such file' });
}

/** readWholeSync, worded as readFileAs words it. */
export function readFileAsSync(path: string, what: string): Buffer {
  return whileReading(path, () => readWholeSync(path), { what, missing: 'no such file' });
}
