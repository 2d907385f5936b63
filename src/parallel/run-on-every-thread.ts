import { defaultMaxListeners, setMaxListeners } from 'node:events';
import type { Piscina } from 'piscina';

/**
 * One run of `task` per pool thread, all cancelled by `signal`. piscina adds an abort listener per
 * task, and from 11 threads on Node would warn of a listener leak on the shared signal.
 */
export function runOnEveryThread<T>(pool: Piscina, task: unknown, threads: number, signal: AbortSignal): Promise<T>[] {
  setMaxListeners(Math.max(defaultMaxListeners, threads), signal);
  return Array.from({ length: threads }, () => pool.run(task, { signal }) as Promise<T>);
}
