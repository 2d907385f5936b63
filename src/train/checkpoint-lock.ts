import { hostname } from 'node:os';
import { join } from 'node:path';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createFolders, removeLeftoverTemporaries } from '../io/atomic-write.js';
import { CHECKPOINT_FILE } from './checkpoint.js';
import { UserError } from '../util/errors.js';

export const LOCK_FILE = 'checkpoint.lock';

/** Who holds a checkpoint directory: written into its lock file as JSON. */
interface Holder {
  readonly pid: number;
  readonly host: string;
  readonly started: string;
}

/**
 * Claims `dir` for this process until it exits: two runs checkpointing into one directory would
 * overwrite each other's checkpoints in turn, and a resume would continue whichever wrote last.
 * The directory is created if missing and, with the lock file, removed again at exit if the run
 * wrote nothing into it. A lock whose process is gone (killed with SIGKILL) is taken over, with
 * the temporary checkpoint it left half-written; one held by a live process, or by another host,
 * is refused.
 */
export function lockCheckpointDirectory(dir: string, flag: string): void {
  let removeFolders: () => void;
  try {
    removeFolders = createFolders(dir);
  } catch (e) {
    throw new UserError(`${flag} ${dir}: cannot be created (${(e as Error).message})`);
  }
  const path = join(dir, LOCK_FILE);
  const me: Holder = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  try {
    if (!created(path, me, flag, dir)) {
      checkNotLocked(dir, flag);
      takeOver(path, me, flag, dir);
    }
  } catch (refusal) {
    removeFolders();
    throw refusal;
  }
  removeLeftoverTemporaries(join(dir, CHECKPOINT_FILE));
  process.on('exit', () => {
    // Only our own lock: a user may have removed it and another run taken the directory since.
    const holder = readHolder(path);
    if (holder?.pid === me.pid && holder.started === me.started) rmSync(path, { force: true });
    removeFolders();
  });
}

/** Writes `me` as the lock; false when a lock is there already. */
function created(path: string, me: Holder, flag: string, dir: string): boolean {
  try {
    writeFileSync(path, JSON.stringify(me), { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    rmSync(path, { force: true }); // Created, then the write failed (a full disk).
    throw new UserError(`${flag} ${dir}: cannot write its lock file ${LOCK_FILE} (${(e as Error).message})`);
  }
}

/**
 * Replaces a stale lock. Two runs that both found it stale could each remove the lock the other
 * had just written, and both go on; a guard file, created exclusively, lets one run at a time look
 * at the lock again and replace it.
 */
function takeOver(path: string, me: Holder, flag: string, dir: string): void {
  const guard = `${path}.takeover`;
  try {
    writeFileSync(guard, String(process.pid), { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new UserError(`${flag} ${dir}: cannot write ${guard} (${(e as Error).message})`);
    throw new UserError(`${flag} ${dir}: another run is taking over its stale lock (remove ${guard} if no run is starting there)`);
  }
  try {
    checkNotLocked(dir, flag);
    rmSync(path, { force: true });
    if (!created(path, me, flag, dir)) throw new UserError(inUse(dir, flag, readHolder(path)));
  } finally {
    rmSync(guard, { force: true });
  }
}

/** Refuses a directory another live run holds; a stale lock is left for lockCheckpointDirectory to take over. */
export function checkNotLocked(dir: string, flag: string): void {
  const path = join(dir, LOCK_FILE);
  if (!existsSync(path)) return;
  const holder = readHolder(path);
  if (holder === null ? justWritten(path) : isAlive(holder)) throw new UserError(inUse(dir, flag, holder));
}

function inUse(dir: string, flag: string, holder: Holder | null): string {
  const who = holder === null ? 'another run' : `the run of process ${holder.pid} on ${holder.host}, started ${holder.started},`;
  return `${flag} ${dir}: ${who} is checkpointing into it; give another directory (or remove ${join(dir, LOCK_FILE)} if no such run is alive)`;
}

/** null when the file holds no readable holder: one being written this moment, or a stale one. */
function readHolder(path: string): Holder | null {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Partial<Holder>;
    return typeof h.pid === 'number' && typeof h.host === 'string' && typeof h.started === 'string' ? (h as Holder) : null;
  } catch {
    return null;
  }
}

/** A lock is written in one call: an unreadable one older than a few seconds was left half-written. */
function justWritten(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs < 5000;
  } catch {
    return false;
  }
}

/**
 * A holder on another host cannot be checked from here, so it counts as alive. One with this
 * process's id is a killed run's whose id came round again (containers number alike).
 */
function isAlive(h: Holder): boolean {
  if (h.host !== hostname()) return true;
  if (h.pid === process.pid) return false;
  try {
    process.kill(h.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
