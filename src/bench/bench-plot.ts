import { writeFileAtomically } from '../io/atomic-write.js';
import type { BenchResult } from './run-bench.js';

const threadsText = (n: number) => `${n} thread${n === 1 ? '' : 's'}`;

/**
 * Samples/s and speedup against threads, each with its ideal line (linear scaling from the
 * smallest thread count), as an SVG drawn by vega-lite: two panels side by side.
 */
export async function benchPlotSvg(r: BenchResult): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const base = r.results[0];
  const rows = r.results.flatMap((t) => {
    const ideal = t.threads / base.threads;
    return [
      { threads: t.threads, metric: 'samples/s', series: 'measured', value: t.samplesPerSec.median, min: t.samplesPerSec.min, max: t.samplesPerSec.max },
      { threads: t.threads, metric: 'samples/s', series: 'ideal', value: base.samplesPerSec.median * ideal },
      { threads: t.threads, metric: 'speedup', series: 'measured', value: t.speedup },
      { threads: t.threads, metric: 'speedup', series: 'ideal', value: ideal },
    ];
  });
  const panel = (metric: string, title: string) => ({
    title,
    width: 320,
    height: 240,
    transform: [{ filter: `datum.metric === '${metric}'` }],
    layer: [
      {
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'threads', type: 'quantitative', scale: { type: 'log', base: 2 }, axis: { values: r.results.map((t) => t.threads), title: 'threads' } },
          y: { field: 'value', type: 'quantitative', title: metric },
          color: {
            field: 'series',
            type: 'nominal',
            title: null,
            scale: { domain: ['measured', 'ideal'], range: ['#1f77b4', '#999999'] },
            legend: { orient: 'bottom', labelLimit: 240, labelExpr: "datum.label === 'ideal' ? 'ideal (linear scaling)' : 'measured'" },
          },
          strokeDash: { field: 'series', type: 'nominal', scale: { domain: ['measured', 'ideal'], range: [[1, 0], [4, 4]] } },
        },
      },
      {
        mark: { type: 'rule' },
        transform: [{ filter: "datum.series === 'measured' && isValid(datum.min)" }],
        encoding: { x: { field: 'threads', type: 'quantitative' }, y: { field: 'min', type: 'quantitative' }, y2: { field: 'max' } },
      },
    ],
  });
  const spec = vegaLite.compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `shardtrain: ${r.kernels} kernels, ${r.dtype}, batch ${r.batchSize}`,
      subtitle: `${r.machine.cpuModel}, ${r.machine.logicalCores} logical cores, Node ${r.machine.nodeVersion}`,
      anchor: 'start',
      offset: 14,
    },
    data: { values: rows },
    hconcat: [panel('samples/s', 'training throughput (median, min-max)'), panel('speedup', `speedup over ${threadsText(base.threads)}`)],
    resolve: { legend: { color: 'shared' } },
  } as never).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  return view.toSVG();
}

export async function writeBenchPlot(path: string, r: BenchResult): Promise<void> {
  const svg = await benchPlotSvg(r);
  writeFileAtomically(path, new TextEncoder().encode(svg), 'cannot write the plot');
}
