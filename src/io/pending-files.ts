import { unlinkSync } from 'node:fs';

/**
 * Temporary files being written right now. An immediate exit (a second Ctrl-C) skips every
 * finally block, so it removes these itself: no half-written file is ever left behind.
 */
const pending = new Set<string>();

export function trackPending(path: string): void {
  pending.add(path);
}

export function untrackPending(path: string): void {
  pending.delete(path);
}

export function removePendingFiles(): void {
  for (const path of pending) {
    try {
      unlinkSync(path);
    } catch {
      // Already renamed into place or never created: nothing half-written remains.
    }
  }
  pending.clear();
}
