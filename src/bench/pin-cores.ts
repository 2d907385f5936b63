// Both sides of a comparison on the same cores: a run at t threads gets the first t cores this
// process may use, through util-linux's taskset. Unpinned, shardtrain's "1 thread" had a second
// core for its main thread (which sums the slots while it has a core of its own) where PyTorch's
// 1 thread had one, and under other load that spinning main thread made either side's figure erratic.
import { spawnSync } from 'node:child_process';

/** The cores this process may run on, asked once before the first pin, or null where taskset is not there to pin with. */
let allowedCores: number[] | null | undefined;
function allowed(): number[] | null {
  if (allowedCores === undefined) allowedCores = askAllowed();
  return allowedCores;
}

function askAllowed(): number[] | null {
  if (process.platform !== 'linux') return null;
  const r = spawnSync('taskset', ['-c', '-p', String(process.pid)], { encoding: 'utf8' });
  const list = r.status === 0 ? /list:\s*([\d,\- ]+)\s*$/.exec(r.stdout.trim())?.[1] : undefined;
  if (list === undefined) return null;
  return list.split(',').flatMap((part) => {
    const [from, to = from] = part.trim().split('-').map(Number);
    return Array.from({ length: to - from + 1 }, (_, k) => from + k);
  });
}

/** Whether runs can be pinned here (taskset, Linux). */
export function canPin(): boolean {
  return allowed() !== null;
}

/** The cores a run at `threads` threads is pinned to (comma-separated), or null when it is not pinned. */
export function coresFor(threads: number): string | null {
  const cores = allowed();
  if (cores === null || threads > cores.length) return null;
  return cores.slice(0, threads).join(',');
}

/** Pins every thread of this process, and so the workers it starts next, to `cores` (null: all it was allowed). */
export function pinSelf(cores: string | null): void {
  const all = allowed();
  if (all === null) return;
  const r = spawnSync('taskset', ['-a', '-p', '-c', cores ?? all.join(','), String(process.pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset could not pin this process to cores ${cores}: ${r.stderr.trim()}`);
}

/** The command line that runs `command` pinned to `cores`. */
export function pinned(cores: string | null, command: string, args: string[]): [string, string[]] {
  return cores === null ? [command, args] : ['taskset', ['-c', cores, command, ...args]];
}
