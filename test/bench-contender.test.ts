import { afterEach, beforeAll, expect, it } from 'vitest';
import { type Dataset, takeFirst } from '../src/data/dataset.js';
import { loadEmbeddedMnist } from '../src/data/embedded-mnist.js';
import { ThroughputContender } from '../src/bench/measure-throughput.js';
import { trainOptions } from './helpers/train-options.js';

// The bench keeps one trainer per thread count and alternates runs between them: each run goes on
// with the same training, so at the same repeat every thread count's trainer holds the same weights.

let data: Dataset;
beforeAll(() => {
  const full = loadEmbeddedMnist();
  data = { ...full, train: takeFirst(full.train, 120), test: takeFirst(full.test, 10) };
});

const started: ThroughputContender[] = [];
afterEach(async () => {
  for (const c of started.splice(0)) await c.close();
});

it('runs on a contender continue its training, alike for any thread count', async () => {
  const options = trainOptions({ batchSize: 20, kernels: 'wasm' });
  for (const threads of [1, 2]) started.push(await ThroughputContender.start(data, { ...options, threads }, 2));
  const [one, two] = started;
  for (const order of [[one, two], [two, one]]) {
    for (const c of order) {
      const run = await c.run(3);
      expect(run.timing.steps).toBe(3);
    }
  }
  // 2 warm-up steps, 3 timed, then one untimed step that starts the session again and 3 timed.
  for (const c of started) expect(c.trainer.optimizer.step).toBe(9);
  expect(Buffer.from(two.trainer.params.buffer, two.trainer.params.byteOffset, two.trainer.params.byteLength)).toEqual(
    Buffer.from(one.trainer.params.buffer, one.trainer.params.byteOffset, one.trainer.params.byteLength),
  );
});
