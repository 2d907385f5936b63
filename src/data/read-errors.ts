import { UserError } from '../util/errors.js';

/** What a failed file-system call says about the path, in the words the data errors use. */
function readProblem(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory, not a file';
  if (code === 'ENOTDIR') return 'a part of the path is not a directory';
  return `cannot read (${code ?? (e as Error).message})`;
}

/** `read()`, with a failure of the file system (not of the data) as one line about `path`. */
export function whileReading<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (!(e instanceof Error && 'syscall' in e)) throw e;
    throw new UserError(`${path}: ${readProblem(e)}`);
  }
}
