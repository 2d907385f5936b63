// How long --data takes to load a data set: loadDataset timed in one process (a fresh process
// per run would add Node's start-up), one untimed load first, then the median of --runs.
//   node dist/bench/data-load.js PATH [--runs 3]
import { parseArgs } from 'node:util';
import { median } from '../src/bench/median.js';
import { describeDataset, loadDataset } from '../src/data/load-data.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { runs: { type: 'string', default: '3' } } });
for (const path of positionals) {
  await loadDataset({ path });
  const times: number[] = [];
  let description = '';
  for (let r = 0; r < Number(values.runs); r++) {
    const started = performance.now();
    const d = await loadDataset({ path });
    times.push(performance.now() - started);
    description = describeDataset(d);
  }
  console.log(`${description}\n  load ms: median ${median(times).toFixed(0)}, runs ${times.map((t) => t.toFixed(0)).join(', ')}`);
}
