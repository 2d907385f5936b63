import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from '../util/errors.js';

/** Refuses an output file that could not be written, before any training time is spent. */
export function checkWritableFile(path: string, flag: string): void {
  const full = resolve(path);
  let isDirectory = false;
  try {
    isDirectory = statSync(full).isDirectory();
  } catch {
    // Does not exist yet: its directory decides.
  }
  if (isDirectory) throw new UserError(`${flag} ${path}: is a directory, expected a file name`);
  const dir = dirname(full);
  try {
    if (!statSync(dir).isDirectory()) throw new UserError(`${flag} ${path}: ${dir} is not a directory`);
    accessSync(dir, constants.W_OK);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `directory ${dir} does not exist` : `directory ${dir} is not writable`;
    throw new UserError(`${flag} ${path}: ${why}`);
  }
}

/** Creates the directory if needed and refuses one that cannot be written, before training starts. */
export function checkWritableDirectory(dir: string, flag: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw new UserError(`${flag} ${dir}: is not a directory`);
    accessSync(dir, constants.W_OK);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way' : code === 'EACCES' || code === 'EPERM' ? 'not writable' : code === 'EROFS' ? 'read-only file system' : (e as Error).message;
    throw new UserError(`${flag} ${dir}: ${why}`);
  }
}
