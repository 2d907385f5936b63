// Training speedup of 2 threads over 1, measured so that the host's swings hit both alike: one
// trainer per thread count stays up for the whole run, and short blocks of steps alternate between
// them (1, 2, 2, 1, 1, 2, ...), a block every ~0.1 s. Each pair of neighbouring blocks saw nearly
// the same machine, so the median of the pairs' ratios is steadier than a ratio of whole runs made
// seconds or minutes apart (shardtrain bench, compare-pytorch.js). Between its blocks a trainer's
// threads sleep: its step session is ended, and the first step of its next block is not timed.
//   npm run build && node dist/bench/research/interleaved-scaling.js [--threads 1,2] [--blocks 40] [--steps 25] [--warmup 40]
import { median } from '../../src/util/median.js';
import { type WarmTrainer, warmTrainer } from '../../src/bench/measure-throughput.js';
import type { Dataset } from '../../src/data/dataset.js';
import { loadEmbeddedMnist } from '../../src/data/embedded-mnist.js';
import { DEFAULT_TRAIN_OPTIONS } from '../../src/train/defaults.js';
import { readScriptFlags } from '../script-flags.js';

const BATCH = DEFAULT_TRAIN_OPTIONS.batchSize;

/** A warmed-up trainer and the milliseconds per step of each of its timed blocks. */
interface Contender extends WarmTrainer {
  readonly threads: number;
  readonly blockMs: number[];
}

async function startContender(dataset: Dataset, threads: number, warmup: number): Promise<Contender> {
  const options = { ...DEFAULT_TRAIN_OPTIONS, kernels: 'wasm' as const, epochs: 1, dropLast: true, threads };
  return { ...(await warmTrainer(dataset, options, warmup)), threads, blockMs: [] };
}

/** One untimed step (it starts the step session again), then `steps` timed ones; then rest. */
async function runBlock(c: Contender, steps: number): Promise<void> {
  await c.steps(1);
  const started = performance.now();
  await c.steps(steps);
  c.blockMs.push((performance.now() - started) / steps);
  // Ends the session, so that this trainer's threads sleep instead of spinning into the next block.
  await c.trainer.emptyTasks();
}

function quartiles(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return `${at(0.25).toFixed(2)}-${at(0.75).toFixed(2)}`;
}

async function main(): Promise<void> {
  const flags = readScriptFlags({
    url: import.meta.url,
    summary: 'Speedup of more threads over the first count, from short blocks of steps alternating between one warm trainer per count.',
    flags: {
      threads: { default: '1,2', describe: 'two or more thread counts, the first being the base' },
      blocks: { default: '40', describe: 'timed blocks per thread count' },
      steps: { default: '25', describe: 'timed steps per block' },
      warmup: { default: '40', describe: 'untimed steps per trainer first' },
    },
  });
  const threadCounts = flags.integers('threads', 1);
  if (threadCounts.length < 2) flags.refuse(`--threads takes two or more thread counts, the first being the base, got '${flags.text('threads')}'`);
  const [blocks, steps, warmup] = [flags.integer('blocks', 1), flags.integer('steps', 1), flags.integer('warmup', 0)];
  const dataset = loadEmbeddedMnist();
  const contenders: Contender[] = [];
  try {
    for (const threads of threadCounts) contenders.push(await startContender(dataset, threads, warmup));
    for (let b = 0; b < blocks; b++) {
      for (const c of b % 2 === 0 ? contenders : [...contenders].reverse()) await runBlock(c, steps);
    }
  } finally {
    for (const c of contenders) await c.trainer.close();
  }
  const rate = (ms: number) => (BATCH * 1000) / ms;
  const [base] = contenders;
  console.log(`training samples/s, float32, batch ${BATCH}, embedded MNIST: ${blocks} alternating blocks of ${steps} steps per thread count`);
  console.log(`${'threads'.padStart(7)}${'samples/s'.padStart(11)}${'range'.padStart(16)}${'speedup'.padStart(9)}${'pairs: median'.padStart(15)}${'quartiles'.padStart(12)}`);
  for (const c of contenders) {
    const rates = c.blockMs.map(rate);
    const pairs = c.blockMs.map((ms, i) => base.blockMs[i] / ms);
    const range = `${Math.min(...rates).toFixed(0)}-${Math.max(...rates).toFixed(0)}`;
    const speedup = median(base.blockMs) / median(c.blockMs);
    console.log(`${String(c.threads).padStart(7)}${median(rates).toFixed(0).padStart(11)}${range.padStart(16)}${speedup.toFixed(2).padStart(9)}${median(pairs).toFixed(2).padStart(15)}${quartiles(pairs).padStart(12)}`);
  }
  console.log(`\nspeedup: median block time at ${base.threads} thread(s) over this count's; pairs: the ratio of each block to the`);
  console.log(`${base.threads}-thread block run next to it.`);
}

main().catch((e: unknown) => {
  process.stderr.write(`interleaved-scaling: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
