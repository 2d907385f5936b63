// A thread of bench's bare-kernel measurement: all the work is in src/bench/bare-kernel.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { type BareKernelSetup, runBareKernelThread } from '../src/bench/bare-kernel.js';

await runBareKernelThread(workerData as BareKernelSetup, parentPort!);
