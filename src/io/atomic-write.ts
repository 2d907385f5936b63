import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmdirSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../util/errors.js';

/**
 * Temporary file in the same directory, fsync, rename, fsync of the directory. Synchronous on
 * purpose: a signal handler (a second Ctrl-C exits at once) runs only between pieces of
 * JavaScript, so it can never find a temporary file half-written or still being created by an
 * asynchronous open in libuv's thread pool.
 */
export function writeFileAtomically(path: string, bytes: Uint8Array, what: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  // TEMPORARY below reads these names back.
  let created = false;
  try {
    const fd = openSync(temp, 'wx');
    created = true;
    try {
      for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
    created = false;
  } catch (e) {
    if (created) rmSync(temp, { force: true });
    throw new UserError(`${path}: ${what} (${describeWriteError(e)})`);
  }
  syncDirectory(dirname(path));
}

/**
 * Removes the temporary files writeFileAtomically left for `path` when its process was killed
 * mid-write (SIGKILL skips every cleanup). Only for a path no live process writes: the caller
 * holds it (train/checkpoint-lock.ts).
 */
export function removeLeftoverTemporaries(path: string): void {
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return;
  }
  for (const file of names) if (TEMPORARY.exec(file)?.[1] === basename(path)) rmSync(join(dirname(path), file), { force: true });
}

/** writeFileAtomically's temporary names, `.NAME.PID.HEX.tmp`: NAME is the file it becomes. */
const TEMPORARY = /^\.(.+)\.\d+\.[0-9a-f]+\.tmp$/;

/** Node's messages name the temporary file, which the user never asked for; name the cause instead. */
function describeWriteError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'its directory does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'a directory is in the way';
  if (code === 'ENOSPC') return 'no space left on the device';
  if (code === 'EROFS') return 'read-only file system';
  return (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ');
}

/** Makes the rename itself durable; some platforms cannot fsync a directory, which is harmless. */
function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // EISDIR/EPERM/EINVAL on some systems: the data itself is already synced.
  }
}

/**
 * Creates `dir` and whatever folders above it are missing. The function returned removes them
 * again, from `dir` up, as far as they are still empty: a first write that fails leaves no empty
 * folders behind (another process may have written into them since, and those stay).
 */
export function createFolders(path: string): () => void {
  // Resolved, so that the walk up from it meets the top folder made (a/../b names b, not a's parent).
  const dir = resolve(path);
  const top = mkdirSync(dir, { recursive: true });
  return () => {
    if (top === undefined) return;
    for (let d = dir; ; d = dirname(d)) {
      try {
        rmdirSync(d);
      } catch {
        return;
      }
      if (d === top || dirname(d) === d) return;
    }
  };
}
