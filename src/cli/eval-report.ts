import { imageShapeText } from '../data/dataset.js';
import type { TestEvaluation } from '../eval/evaluate-on-pool.js';
import type { SavedNetwork } from '../io/saved-network.js';
import { type Model, modelClasses } from '../model/model.js';
import { percent } from './epoch-report.js';
import { describeNetwork, networkJson } from './network-report.js';

/** What was evaluated, for both output formats. */
export interface EvalSubject {
  readonly weights: SavedNetwork;
  readonly model: Model;
  /** The test images' (channels, height, width). */
  readonly images: { readonly channels: number; readonly height: number; readonly width: number };
  readonly parameters: number;
  readonly data: string;
  readonly threads: number;
}

/** For people: a header, the overall result, per-class accuracy, the confusion matrix. */
export function formatEvalTable(s: EvalSubject, r: TestEvaluation): string {
  const classes = modelClasses(s.model);
  const lines = [
    `shardtrain: weights ${s.weights.path} (${s.weights.storedDtype}, ${describeNetwork(s.weights, s.model)}), ${s.parameters.toLocaleString('en-US')} parameters, computed in ${s.weights.dtype}; ` +
      `${s.data}, ${r.total} test ${imageShapeText(s.images)} images, ${classes} classes; ${s.threads} thread(s)`,
    `test loss ${r.loss.toFixed(4)}  accuracy ${r.correct}/${r.total} (${percent(r.correct, r.total)})`,
    '',
  ];
  const countWidth = Math.max(5, String(r.total).length);
  const labelWidth = Math.max(5, String(classes - 1).length);
  const row = (label: string, count: number, correct: number) =>
    `${label.padStart(labelWidth)}  ${String(count).padStart(countWidth)}  ${String(correct).padStart(Math.max(7, countWidth))}  ${percent(correct, count).padStart(8)}`;
  lines.push(`${'class'.padStart(labelWidth)}  ${'count'.padStart(countWidth)}  ${'correct'.padStart(Math.max(7, countWidth))}  ${'accuracy'.padStart(8)}`);
  for (const p of r.perClass) lines.push(row(String(p.label), p.count, p.correct));
  lines.push(row('all', r.total, r.correct), '');

  lines.push('confusion matrix (rows: true class, columns: predicted class)');
  const cell = Math.max(String(classes - 1).length, ...r.confusion.flat().map((v) => String(v).length)) + 1;
  const corner = 'true\\pred';
  lines.push(corner + r.confusion.map((_, k) => String(k).padStart(cell)).join(''));
  r.confusion.forEach((counts, label) => lines.push(String(label).padStart(corner.length) + counts.map((v) => String(v).padStart(cell)).join('')));
  return lines.join('\n');
}

/** For programs: one JSON object. */
export function evalJson(s: EvalSubject, r: TestEvaluation): string {
  return JSON.stringify({
    ...networkJson(s.weights, s.model),
    parameters: s.parameters,
    data: s.data,
    threads: s.threads,
    testLoss: r.loss,
    correct: r.correct,
    total: r.total,
    accuracy: r.total > 0 ? r.correct / r.total : null,
    perClass: r.perClass,
    confusion: r.confusion,
    seconds: r.seconds,
  });
}
