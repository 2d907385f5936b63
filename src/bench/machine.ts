import { availableParallelism, cpus, release, type as osType } from 'node:os';

export interface MachineInfo {
  readonly cpuModel: string;
  readonly logicalCores: number;
  readonly availableParallelism: number;
  readonly nodeVersion: string;
  readonly os: string;
}

export function describeMachine(): MachineInfo {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    logicalCores: list.length,
    availableParallelism: availableParallelism(),
    nodeVersion: process.version,
    os: `${osType()} ${release()}`,
  };
}

/** 1, 2, 4, ... up to twice the available parallelism, so oversubscription shows too. */
export function defaultThreadCounts(parallelism = availableParallelism()): number[] {
  const counts: number[] = [];
  for (let t = 1; t <= 2 * parallelism; t *= 2) counts.push(t);
  return counts;
}
