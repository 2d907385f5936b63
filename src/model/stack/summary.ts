/**
 * The table printed before training, as Keras's model.summary() prints it: each layer, its output
 * shape, parameters and multiply-adds, and the totals. As data it is plain JSON.
 */
import type { ActivationShape, StackDims } from './dims.js';

export interface SummaryRow {
  /** 1-based, as errors count layers; the layer's parameters are named `<position - 1>.weight`. */
  readonly position: number;
  /** The layer in the compact form. */
  readonly layer: string;
  readonly output: ActivationShape;
  readonly parameters: number;
  /** One sample's forward pass. */
  readonly multiplyAdds: number;
}

export interface Summary {
  readonly input: readonly number[];
  readonly classes: number;
  readonly rows: readonly SummaryRow[];
  readonly parameters: number;
  /** One sample's forward pass. */
  readonly forwardMultiplyAdds: number;
  /** One sample's forward and backward pass, as training runs it. */
  readonly trainingMultiplyAdds: number;
}

export function summarize(dims: StackDims): Summary {
  return {
    input: [...dims.spec.input],
    classes: dims.classes,
    rows: dims.layers.map((l) => ({ position: l.position, layer: l.text, output: l.output, parameters: l.parameters, multiplyAdds: l.forwardMultiplyAdds })),
    parameters: dims.parameters,
    forwardMultiplyAdds: dims.forwardMultiplyAdds,
    trainingMultiplyAdds: dims.multiplyAddsPerSample,
  };
}

const count = (n: number): string => n.toLocaleString('en-US');
const shapeText = (s: readonly number[]): string => s.join('x');

/** The summary as a text table, numbers right-aligned with thousands separators. */
export function formatSummary(summary: Summary): string {
  const header = ['#', 'layer', 'output', 'parameters', 'multiply-adds'];
  const rows = summary.rows.map((r) => [`${r.position}`, r.layer, shapeText(r.output), count(r.parameters), count(r.multiplyAdds)]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  // Text columns (layer, output) read left to right; numbers line up on their last digit.
  const leftAligned = [false, true, true, false, false];
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (leftAligned[c] ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
      .join('  ')
      .trimEnd();
  const rule = '-'.repeat(widths.reduce((a, w) => a + w, 0) + 2 * (widths.length - 1));
  return [
    `input ${shapeText(summary.input)}, ${summary.classes} classes`,
    line(header),
    rule,
    ...rows.map(line),
    rule,
    `parameters: ${count(summary.parameters)}`,
    `multiply-adds per sample: ${count(summary.forwardMultiplyAdds)} forward, ${count(summary.trainingMultiplyAdds)} forward and backward`,
  ].join('\n');
}
