// A pool thread: it receives the shared buffers once (piscina's workerData) and then runs the
// tasks the coordinator sends. All the work is in src/parallel/worker-context.ts.
import { workerData } from 'piscina';
import { WorkerContext } from '../src/parallel/worker-context.js';
import type { SharedState } from '../src/parallel/shared-state.js';
import type { Task, ThreadTiming } from '../src/parallel/tasks.js';

const context = new WorkerContext(workerData as SharedState);

export default function runTask(task: Task): ThreadTiming {
  return context.run(task);
}
