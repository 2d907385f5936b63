// Where the machine's CPU time goes during training steps, per step: the main thread's (slot sums,
// Adam, the event loop), the pool threads' (the kernels, and spinning between steps), everything
// else in the process (V8's compiler and garbage-collector helpers), how long pool threads were
// ready to run but waited for a core, and what was left idle. On a machine with as many cores as
// pool threads, the main thread's time comes out of the pool threads' cores: that is what keeps
// the trainer below the bare kernel's scaling (kernel-scaling.js). CPU times are the kernel's own
// per-thread accounts (Linux's /proc/self/task/*/schedstat), so they are less noisy than wall time.
//   npm run build && node dist/bench/research/thread-cpu.js [--threads 1,2] [--runs 3] [--steps 300] [--warmup 20]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { warmTrainer } from '../../src/bench/measure-throughput.js';
import { median } from '../../src/util/median.js';
import type { Dataset } from '../../src/data/dataset.js';
import { loadEmbeddedMnist } from '../../src/data/embedded-mnist.js';
import { DEFAULT_TRAIN_OPTIONS } from '../../src/train/defaults.js';
import { readScriptFlags } from '../script-flags.js';

/** Nanoseconds a thread ran, and waited runnable for a core, since it started. */
interface ThreadClock {
  readonly ranNs: number;
  readonly waitedNs: number;
}

/** Milliseconds per training step. */
interface StepCpu {
  readonly samplesPerSec: number;
  readonly wallMs: number;
  readonly mainMs: number;
  readonly poolMs: number;
  readonly poolWaitMs: number;
  readonly otherMs: number;
  readonly idleMs: number;
}

const TASKS = '/proc/self/task';

function threadClocks(): Map<string, ThreadClock> {
  const clocks = new Map<string, ThreadClock>();
  for (const tid of readdirSync(TASKS)) {
    try {
      const [ran, waited] = readFileSync(`${TASKS}/${tid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
      clocks.set(tid, { ranNs: ran, waitedNs: waited });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return clocks;
}

/** One run: a fresh trainer, `warmup` untimed steps, then `steps` timed ones. */
async function measure(dataset: Dataset, threads: number, steps: number, warmup: number): Promise<StepCpu> {
  const before = threadClocks();
  const options = { ...DEFAULT_TRAIN_OPTIONS, kernels: 'wasm' as const, epochs: 1, dropLast: true, threads };
  const { trainer, steps: runSteps } = await warmTrainer(dataset, options, warmup);
  try {
    // The pool's threads are the ones the trainer started: V8's helpers run from the process's start.
    const pool = [...threadClocks().keys()].filter((tid) => !before.has(tid));
    if (pool.length !== threads) throw new Error(`found ${pool.length} new threads for a pool of ${threads}: cannot tell the pool's apart`);
    const start = threadClocks();
    const started = performance.now();
    await runSteps(steps);
    const wallMs = performance.now() - started;
    const end = threadClocks();
    const spent = (tid: string, field: keyof ThreadClock) => ((end.get(tid)?.[field] ?? 0) - (start.get(tid)?.[field] ?? 0)) / 1e6 / steps;
    const main = String(process.pid);
    const others = [...end.keys()].filter((tid) => tid !== main && !pool.includes(tid));
    const sum = (tids: string[], field: keyof ThreadClock) => tids.reduce((acc, tid) => acc + spent(tid, field), 0);
    const step = { wallMs: wallMs / steps, mainMs: spent(main, 'ranNs'), poolMs: sum(pool, 'ranNs'), poolWaitMs: sum(pool, 'waitedNs'), otherMs: sum(others, 'ranNs') };
    const busy = step.mainMs + step.poolMs + step.otherMs;
    return { ...step, samplesPerSec: (steps * options.batchSize * 1000) / wallMs, idleMs: Math.max(0, availableParallelism() * step.wallMs - busy) };
  } finally {
    await trainer.close();
  }
}

async function main(): Promise<void> {
  const flags = readScriptFlags({
    url: import.meta.url,
    summary: "Where the CPU time of a training step goes: the main thread, the pool threads, V8's helpers, idle cores (Linux).",
    flags: {
      threads: { default: '1,2', describe: 'thread counts to measure, comma-separated' },
      runs: { default: '3', describe: 'alternating runs per thread count (median reported)' },
      steps: { default: '300', describe: 'timed steps per run' },
      warmup: { default: '20', describe: 'untimed steps first' },
    },
  });
  const threadCounts = flags.integers('threads', 1);
  const [runs, steps, warmup] = [flags.integer('runs', 1), flags.integer('steps', 1), flags.integer('warmup', 0)];
  if (!existsSync(`${TASKS}/${process.pid}/schedstat`)) throw new Error(`thread-cpu needs Linux's ${TASKS}/<tid>/schedstat, which this system lacks`);
  const dataset = loadEmbeddedMnist();
  const results = new Map<number, StepCpu[]>(threadCounts.map((t) => [t, []]));
  for (let r = 0; r < runs; r++) {
    for (const threads of r % 2 === 0 ? threadCounts : [...threadCounts].reverse()) {
      const run = await measure(dataset, threads, steps, warmup);
      results.get(threads)!.push(run);
      process.stderr.write(`run ${r + 1}, ${threads} thread(s): ${run.samplesPerSec.toFixed(0)} samples/s\n`);
    }
  }
  const cores = availableParallelism();
  console.log(`\nCPU time per training step, ms (median of ${runs} alternating runs of ${steps} steps; ${cores} cores, so ${cores} x wall to share)`);
  const header = ['threads', 'samples/s', 'wall', 'main', 'pool', 'other', 'idle', 'pool waiting'];
  console.log(header.map((h) => h.padStart(h === 'pool waiting' ? 13 : 10)).join(''));
  for (const [threads, list] of results) {
    const m = (f: (x: StepCpu) => number) => median(list.map(f));
    const cells = [m((x) => x.samplesPerSec).toFixed(0), ...[m((x) => x.wallMs), m((x) => x.mainMs), m((x) => x.poolMs), m((x) => x.otherMs), m((x) => x.idleMs)].map((v) => v.toFixed(3))];
    console.log([String(threads), ...cells].map((c) => c.padStart(10)).join('') + m((x) => x.poolWaitMs).toFixed(3).padStart(13));
  }
  console.log('\nmain: the main thread (slot sums, Adam, event loop); pool: the pool threads (kernels, spinning between steps);');
  console.log('other: the rest of the process (V8 compiler and GC helpers); idle: cores x wall minus all of those;');
  console.log('pool waiting: time pool threads were ready to run but had no core.');
}

main().catch((e: unknown) => {
  process.stderr.write(`thread-cpu: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
