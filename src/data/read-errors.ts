import { UserError } from '../util/errors.js';

export interface ReadWording {
  /** What the path should have been, for a directory found instead: 'an image', 'an .npz file'. */
  what?: string;
  /** For a missing path: data paths may name a directory, other paths name files. */
  missing?: string;
}

/** What a failed file-system call says about the path, in one set of words for every reader. */
export function readProblem(e: unknown, { what = 'a file', missing = 'no such file or directory' }: ReadWording = {}): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return missing;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return `is a directory, not ${what}`;
  if (code === 'ENOTDIR') return 'a part of the path is not a directory';
  // Node reads a file whole into one buffer of at most 2 GiB.
  if (code === 'ERR_FS_FILE_TOO_LARGE') return 'larger than 2 GiB, more than can be read whole';
  return `cannot read (${code ?? (e as Error).message.split('\n')[0]})`;
}

/** Whether `e` is a failure of the file system (not of the data or the code). */
function isFileSystemError(e: unknown): boolean {
  return e instanceof Error && ('syscall' in e || (e as NodeJS.ErrnoException).code === 'ERR_FS_FILE_TOO_LARGE');
}

/** `read()`, with a failure of the file system (not of the data) as one line about `path`. */
export function whileReading<T>(path: string, read: () => T, wording?: ReadWording): T {
  try {
    return read();
  } catch (e) {
    throw worded(e, path, wording);
  }
}

/** whileReading for a read that returns a promise. */
export async function whileReadingAsync<T>(path: string, read: () => Promise<T>, wording?: ReadWording): Promise<T> {
  try {
    return await read();
  } catch (e) {
    throw worded(e, path, wording);
  }
}

function worded(e: unknown, path: string, wording?: ReadWording): unknown {
  return isFileSystemError(e) ? new UserError(`${path}: ${readProblem(e, wording)}`) : e;
}
