import { randomBytes } from 'node:crypto';
import { closeSync, openSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../util/errors.js';

/**
 * Refuses an output file that could not be written, before any training time is spent.
 * `label` names the path in the message (the CLI passes its flag).
 */
export function checkWritableFile(path: string, label: string): void {
  if (path === '') throw new UserError(`${label}: the path is empty`);
  const full = resolve(path);
  if (statOrNull(full)?.isDirectory()) throw new UserError(`${label} ${path}: is a directory, expected a file name`);
  const dir = dirname(full);
  const stats = statOrNull(dir);
  if (stats === null) throw new UserError(`${label} ${path}: directory ${dir} does not exist`);
  if (!stats.isDirectory()) throw new UserError(`${label} ${path}: ${dir} is not a directory`);
  const refused = probeFile(dir);
  if (refused !== null) throw new UserError(`${label} ${path}: directory ${dir} ${refused}`);
}

/**
 * Refuses a directory that could not be created or written, without creating it: a run refused
 * later (bad data, say) must leave nothing behind, so the directory is made by the first write.
 */
export function checkWritableDirectory(dir: string, label: string): void {
  // resolve('') is the current directory, which the write would not be.
  if (dir === '') throw new UserError(`${label}: the path is empty`);
  const full = resolve(dir);
  let existing = full;
  let stats = statOrNull(existing);
  while (stats === null && dirname(existing) !== existing) {
    existing = dirname(existing);
    stats = statOrNull(existing);
  }
  if (stats === null) throw new UserError(`${label} ${dir}: no part of the path exists`);
  if (!stats.isDirectory()) throw new UserError(`${label} ${dir}: a file is in the way`);
  const refused = probeFile(existing);
  if (refused === null) return;
  throw new UserError(existing === full ? `${label} ${dir}: ${refused}` : `${label} ${dir}: cannot be created, ${existing} ${refused}`);
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/**
 * Creates and removes an empty file in `dir`; null when that works, else why not. Permission
 * bits alone cannot tell: root may write anywhere by them, yet not under /proc or on a read-only
 * mount. Never a recursive mkdir, which loops forever on /proc.
 */
function probeFile(dir: string): string | null {
  const probe = join(dir, `.shardtrain-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return 'is not writable';
    if (code === 'EROFS') return 'is on a read-only file system';
    return `does not accept new files (${code ?? (e as Error).message})`;
  }
  unlinkSync(probe);
  return null;
}
