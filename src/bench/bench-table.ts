import { explainNoiseScale } from '../train/gradient-noise-scale.js';
import type { BenchResult } from './run-bench.js';

const pad = (text: string, width: number) => text.padStart(width);
const fixed = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');

/** Where each thread count ran: pinned to its first cores (main thread included), or where the system put it. */
function placement(r: BenchResult): string {
  const pinned = r.results.filter((t) => t.cores !== null);
  if (pinned.length === 0) return 'threads placed by the system';
  const unpinned = r.results.length - pinned.length;
  return `pinned, main thread included: ${pinned.map((t) => `${t.threads} thread(s) on core(s) ${t.cores}`).join(', ')}${unpinned > 0 ? '; more threads than cores unpinned' : ''}`;
}

/** The bench result for people: the machine, the setup, then one row per thread count. */
export function formatBenchTable(r: BenchResult): string {
  const m = r.machine;
  const mib = (r.gradientSlotBytes / 2 ** 20).toFixed(2);
  const lines = [
    `machine: ${m.cpuModel}, ${m.logicalCores} logical cores, available parallelism ${m.availableParallelism}, Node ${m.nodeVersion}, ${m.os}`,
    `model ${r.model}\n` +
    `kernels ${r.kernels}, ${r.dtype}, batch ${r.batchSize}; ${r.parameters.toLocaleString('en-US')} parameters, gradient slots ${mib} MiB; ` +
      `${r.multiplyAddsPerSample.toLocaleString('en-US')} multiply-adds per sample`,
    `${r.steps} timed steps after ${r.warmup} warm-up, median of ${r.repeat} repeat(s); ${placement(r)}`,
    '',
    `${pad('threads', 8)} ${pad('samples/s', 10)} ${pad('min-max', 15)} ${pad('speedup', 8)} ${pad('effic.', 7)} ${pad('GFLOP/s', 8)}` +
      ` | ms per step: ${pad('compute', 8)} ${pad('wait', 6)} ${pad('dispatch', 8)} ${pad('reduce', 6)} ${pad('update', 6)} ${pad('empty', 6)} ${pad('sum', 4)}`,
  ];
  for (const t of r.results) {
    const s = t.perStep;
    lines.push(
      `${pad(`${t.threads}${t.oversubscribed ? '*' : ''}`, 8)} ${pad(fixed(t.samplesPerSec.median, 0), 10)} ` +
        `${pad(`${fixed(t.samplesPerSec.min, 0)}-${fixed(t.samplesPerSec.max, 0)}`, 15)} ${pad(`${fixed(t.speedup, 2)}x`, 8)} ` +
        `${pad(`${fixed(100 * t.efficiency, 0)}%`, 7)} ${pad(fixed(t.gflops, 2), 8)} |              ` +
        `${pad(fixed(s.computeMs, 2), 8)} ${pad(fixed(s.waitMs, 2), 6)} ${pad(fixed(s.dispatchMs, 2), 8)} ` +
        `${pad(fixed(s.reduceMs, 2), 6)} ${pad(fixed(s.updateMs, 2), 6)} ${pad(fixed(s.emptyTaskMs, 3), 6)} ${pad(t.summedBy, 4)}`,
    );
  }
  if (r.results.some((t) => t.oversubscribed)) lines.push('* oversubscribed: more threads than the available parallelism');
  if (r.results[0].bareKernel !== undefined) {
    lines.push('', `${pad('threads', 8)} ${pad('trainer', 8)} ${pad('bare kernel/s', 14)} ${pad('bare', 8)} ${pad('share', 6)}`);
    for (const t of r.results) {
      const b = t.bareKernel!;
      lines.push(`${pad(String(t.threads), 8)} ${pad(`${fixed(t.speedup, 2)}x`, 8)} ${pad(fixed(b.samplesPerSec, 0), 14)} ${pad(`${fixed(b.speedup, 2)}x`, 8)} ${pad(fixed(b.share, 2), 6)}`);
    }
    lines.push(
      "bare kernel: the same per-sample pass on the trainer's threads with nothing shared, timed after each of its runs; share: the",
      "trainer's speedup over the bare kernel's (1: coordination costs the trainer nothing the cores themselves would give).",
    );
  }
  if (r.results[0].private !== undefined) {
    lines.push('', `${pad('threads', 8)} ${pad('private/s', 10)} ${pad('min-max', 15)} ${pad('of ordinary', 12)}`);
    for (const t of r.results) {
      const p = t.private!;
      lines.push(
        `${pad(String(t.threads), 8)} ${pad(fixed(p.samplesPerSec.median, 0), 10)} ` +
          `${pad(`${fixed(p.samplesPerSec.min, 0)}-${fixed(p.samplesPerSec.max, 0)}`, 15)} ${pad(`${fixed(p.ratio, 3)}x`, 12)}`,
      );
    }
    lines.push('private: DP-SGD on the same network and batch (Poisson-sampled, clipped, noised), timed alternately with ordinary training.');
  }
  if (r.noiseScale !== undefined) lines.push('', explainNoiseScale(r.noiseScale, r.batchSize));
  lines.push(
    '',
    'compute: the slowest thread\'s computation; wait: how long the fastest thread idled for it; dispatch: the rest of the',
    'parallel part of the step (messages, wake-ups); reduce: the main thread\'s division of the slot sum once the last slot is in;',
    'update: the optimizer on the main thread; empty: one empty task on every thread; sum: who summed the slots, the main',
    'thread as each completed, during compute (when it has a core of its own), or the pool threads after it (inside compute;',
    'in ordinary training they then also divide and apply the update, inside compute, several steps to one order).',
    `speedup and effic.: over ${r.results[0].threads} thread(s), the fewest measured: the median over repeats of each run's`,
    "ratio to the same repeat's run on the fewest threads, so that the machine's drift between repeats cancels (the bare",
    "kernel's speedup alike; 'of ordinary': the median of each repeat's private run over its ordinary run).",
    'GFLOP/s counts 2 FLOPs per multiply-add of the dense model, whatever work the kernels skip.',
  );
  return lines.join('\n');
}
