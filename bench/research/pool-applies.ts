// What the pool applying the updates itself gains at two threads: three trainers stay up (1
// thread; 2 threads with the main thread applying every step; 2 threads with the pool applying
// runs of steps, src/train/step-runner.ts), and short blocks of steps alternate between them, so
// that each comparison is of neighbouring blocks on the same host. The 2-thread trainers' weights
// stay bitwise the same; only their speed differs.
//   npm run build && node dist/bench/research/pool-applies.js [--model opacus-mnist] [--blocks 40] [--steps 25] [--warmup 30]
import { modelChoiceFrom } from '../../src/cli/model-choice.js';
import { loadEmbeddedMnist } from '../../src/data/embedded-mnist.js';
import { DEFAULT_TRAIN_OPTIONS } from '../../src/train/defaults.js';
import { Trainer } from '../../src/train/trainer.js';
import { median } from '../../src/util/median.js';
import { readScriptFlags } from '../script-flags.js';

interface Contender {
  readonly name: string;
  readonly trainer: Trainer;
  /** Steps as run() takes them (several at once where the pool applies them), or one at a time. */
  readonly runs: boolean;
  readonly blockMs: number[];
}

const flags = readScriptFlags({
  url: import.meta.url,
  summary: 'Samples/s at 2 threads with the pool applying runs of steps against the main thread applying each, in alternating blocks.',
  flags: {
    model: { default: 'seed', describe: 'the network, as train --model takes it' },
    blocks: { default: '40', describe: 'timed blocks per trainer' },
    steps: { default: '25', describe: 'timed steps per block' },
    warmup: { default: '30', describe: 'untimed steps per trainer first' },
  },
});
const [blocks, steps, warmup] = [flags.integer('blocks', 1), flags.integer('steps', 1), flags.integer('warmup', 0)];
const modelText = flags.text('model');
const model = modelChoiceFrom({ model: modelText });
const dataset = loadEmbeddedMnist();

async function start(name: string, threads: number, runs: boolean): Promise<Contender> {
  const trainer = await Trainer.create(dataset, { ...DEFAULT_TRAIN_OPTIONS, model, kernels: 'wasm', epochs: 1, dropLast: true, threads });
  trainer.setEpochOrder(0);
  for (let s = 0; s < warmup; s++) await trainer.stepOfEpoch(s % trainer.stepsPerEpoch);
  return { name, trainer, runs, blockMs: [] };
}

/** One untimed step (it starts the step session again), `steps` timed ones from `first`, then rest. */
async function runBlock(c: Contender, first: number): Promise<void> {
  const t = c.trainer;
  await t.stepOfEpoch(first);
  const started = performance.now();
  if (c.runs) for (let done = 0; done < steps; ) done += await t.stepsOfEpoch(first + 1 + done, steps - done);
  else for (let s = 0; s < steps; s++) await t.stepOfEpoch(first + 1 + s);
  c.blockMs.push((performance.now() - started) / steps);
  await t.endSession();
}

const batch = DEFAULT_TRAIN_OPTIONS.batchSize;
const stepsPerEpoch = Math.floor(dataset.train.count / batch);
if (steps + 1 > stepsPerEpoch) flags.refuse(`--steps ${steps}: a block and its untimed step must fit in an epoch of ${stepsPerEpoch} steps`);
const room = stepsPerEpoch - steps - 1;
const contenders = [await start('1 thread', 1, false), await start('2, main applies', 2, false), await start('2, pool applies', 2, true)];
try {
  for (let b = 0; b < blocks; b++) {
    for (const c of b % 2 === 0 ? contenders : [...contenders].reverse()) await runBlock(c, (b * steps) % (room + 1));
  }
} finally {
  for (const c of contenders) await c.trainer.close();
}
const pairs = (a: Contender, b: Contender) => median(a.blockMs.map((ms, i) => ms / b.blockMs[i]));
const [one, main, pool] = contenders;
console.log(`${modelText}, wasm float32, batch ${batch}, embedded digits: ${blocks} alternating blocks of ${steps} steps per trainer`);
for (const c of contenders) {
  const rate = median(c.blockMs.map((ms) => (batch * 1000) / ms));
  console.log(`${c.name.padEnd(16)}${rate.toFixed(0).padStart(8)} samples/s${c === one ? '' : `   speedup ${pairs(one, c).toFixed(3)}x`}`);
}
console.log(`pool applies over main applies (median of neighbouring blocks): ${pairs(main, pool).toFixed(3)}x`);
