import { totalmem } from 'node:os';

/** The memory this process may take: the machine's, or less where a container's limit says so. */
export function machineMemory(): number {
  const constrained = process.constrainedMemory?.() ?? 0;
  return constrained > 0 ? Math.min(constrained, totalmem()) : totalmem();
}

/** The machine's memory as a limit that messages name. */
export function machineLimit(bytes = machineMemory()): { readonly bytes: number; readonly what: string } {
  return { bytes, what: `this machine's ${bytesText(bytes)}` };
}

export function bytesText(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${(bytes / 2 ** 10).toFixed(1)} KiB`;
}
