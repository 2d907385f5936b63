/**
 * A hook for the fault-handling tests, and only for them: SHARDTRAIN_TEST_FAULT=KIND@STEP[.SAMPLE][xN]
 * makes the worker that takes batch position SAMPLE (default 0) of Adam step STEP fail in the
 * given way on the first N attempts of that step (default 1, so the retry succeeds; x2 makes the
 * retry fail too). A later SAMPLE fails after the main thread has summed earlier slots.
 * KIND@STEP:update[xN] instead makes every pool thread that applies step STEP's update fail once it
 * has applied its first block (pool-update.ts). KIND is throw, exit, oom or hang. Unset (always,
 * outside the tests), it costs one comparison.
 */
export type FaultKind = 'throw' | 'exit' | 'oom' | 'hang';

export interface InjectedFault {
  readonly kind: FaultKind;
  readonly step: number;
  readonly sample: number;
  /** Whether the fault comes with a sample's gradient or midway through the pool's update. */
  readonly during: 'sample' | 'update';
  readonly attempts: number;
}

export const FAULT_ENV = 'SHARDTRAIN_TEST_FAULT';

export function parseInjectedFault(spec: string | undefined): InjectedFault | null {
  if (!spec) return null;
  const match = /^(throw|exit|oom|hang)@(\d+)(?:\.(\d+)|(:update))?(?:x(\d+))?$/.exec(spec);
  if (!match) throw new Error(`${FAULT_ENV}=${spec}: expected KIND@STEP[.SAMPLE|:update][xN] with KIND throw, exit, oom or hang`);
  const during = match[4] === undefined ? 'sample' : 'update';
  return { kind: match[1] as FaultKind, step: Number(match[2]), sample: Number(match[3] ?? 0), during, attempts: Number(match[5] ?? 1) };
}

export function triggerFault(kind: FaultKind): never {
  switch (kind) {
    case 'throw':
      throw new Error('injected fault: the worker threw');
    case 'exit':
      process.exit(7); // in a worker thread this ends the thread, not the process
    // eslint-disable-next-line no-fallthrough
    case 'oom': {
      const hoard: number[][] = [];
      for (;;) hoard.push(new Array(1 << 20).fill(hoard.length + 0.5));
    }
    // eslint-disable-next-line no-fallthrough
    case 'hang':
      for (;;) {
        // A busy loop, like a kernel stuck on bad indices: only termination stops it.
      }
  }
}
