// A pool thread: it receives the shared buffers once (piscina's workerData) and then runs the
// tasks the coordinator sends. All the work is in src/parallel/worker-context.ts, and the bench's
// bare kernel in src/bench/bare-kernel.ts.
import { workerData } from 'piscina';
import { BareKernel } from '../src/bench/bare-kernel.js';
import { WorkerContext } from '../src/parallel/worker-context.js';
import type { ThreadData } from '../src/parallel/shared-state.js';
import type { Task, ThreadTiming } from '../src/parallel/tasks.js';

const state = workerData as ThreadData;
const context = new WorkerContext(state);
let bareKernel: BareKernel | null = null;

export default function runTask(task: Task): ThreadTiming {
  if (task.kind !== 'bare') return context.run(task);
  bareKernel ??= BareKernel.create(state.backend, state.model, state.train);
  return bareKernel.measure(task.ms, state.params);
}
