import type { EpochReport } from '../train/trainer.js';

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
    `${Math.round(r.samplesPerSec)} samples/s`,
    `${r.seconds.toFixed(1)} s`,
  ].join('  ');
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
  });
}
