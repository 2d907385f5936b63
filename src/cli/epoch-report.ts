import type { EpochReport } from '../train/trainer.js';
import { epsilonText } from '../privacy/epsilon-text.js';

export function percent(correct: number, total: number): string {
  return total > 0 ? `${((100 * correct) / total).toFixed(2)}%` : 'n/a';
}

/** One line per epoch for people. */
export function formatEpochLine(r: EpochReport): string {
  const width = String(r.epochs).length;
  return [
    `epoch ${String(r.epoch).padStart(width)}/${r.epochs}`,
    `train loss ${r.trainLoss.toFixed(4)}`,
    `test loss ${r.test.loss.toFixed(4)}`,
    `test acc ${r.test.correct}/${r.test.total} (${percent(r.test.correct, r.test.total)})`,
    `${Number.isFinite(r.samplesPerSec) ? Math.round(r.samplesPerSec) : 'n/a'} samples/s`,
    `${r.seconds.toFixed(1)} s`,
    ...privacyCells(r),
    ...(r.noiseScale === undefined ? [] : [`B_simple ${Number.isFinite(r.noiseScale.simple) ? Math.round(r.noiseScale.simple) : 'n/a'}`]),
  ].join('  ');
}

/** Private training: the epsilon spent so far, and the epoch's per-sample norms that pick the clip. */
function privacyCells(r: EpochReport): string[] {
  if (r.privacy === undefined || r.norms === undefined) return [];
  const p = r.privacy;
  const covered = p.covered ? '' : ' if Poisson-sampled';
  return [
    `epsilon ${epsilonText(p.epsilon)} (delta ${p.delta}, ${p.accountant}${covered})`,
    `clipped ${(100 * r.norms.clippedFraction).toFixed(1)}%`,
    `median norm ${r.norms.median.toPrecision(3)}`,
  ];
}

/** One JSON object per epoch for programs. */
export function epochJson(r: EpochReport): string {
  return JSON.stringify({
    epoch: r.epoch,
    epochs: r.epochs,
    trainLoss: r.trainLoss,
    testLoss: r.test.loss,
    testCorrect: r.test.correct,
    testTotal: r.test.total,
    testAccuracy: r.test.total > 0 ? r.test.correct / r.test.total : null,
    samples: r.samples,
    steps: r.steps,
    samplesPerSec: r.samplesPerSec,
    seconds: r.seconds,
    ...(r.privacy === undefined ? {} : { privacy: r.privacy, norms: r.norms }),
    ...(r.noiseScale === undefined ? {} : { noiseScale: r.noiseScale }),
  });
}
