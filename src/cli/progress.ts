import { createRequire } from 'node:module';
import type { Options, SingleBar } from 'cli-progress';
import type { BatchProgress } from '../train/trainer.js';

/**
 * A cli-progress bar in the classic style. The package is required here, when a bar is drawn (on a
 * terminal only), rather than imported: its import was 20 ms of every command's start.
 */
export function newProgressBar(options: Options): SingleBar {
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');
  return new cliProgress.SingleBar(options, cliProgress.Presets.shades_classic);
}

/**
 * The epoch's progress bar, on stderr and only on a terminal, so that piped or --json output
 * carries nothing but results.
 */
export class EpochProgress {
  private bar: SingleBar | null = null;
  private readonly enabled: boolean;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.enabled = stream.isTTY === true;
    if (this.enabled) {
      this.bar = newProgressBar({
        stream,
        format: 'epoch {epoch} [{bar}] {value}/{total} samples | {rate} samples/s | ETA {eta_formatted}',
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 20,
      });
    }
  }

  update(p: BatchProgress): void {
    if (!this.bar) return;
    const payload = { epoch: p.epoch, rate: Math.round(p.samplesPerSec) };
    if (p.samplesDone === 0 || this.barTotal !== p.samplesTotal || this.barEpoch !== p.epoch) {
      this.bar.start(p.samplesTotal, p.samplesDone, payload);
      this.barTotal = p.samplesTotal;
      this.barEpoch = p.epoch;
    } else {
      this.bar.update(p.samplesDone, payload);
    }
  }

  /** Removes the bar before a result line is printed. */
  clear(): void {
    if (this.bar && this.barEpoch !== -1) this.bar.stop();
    this.barEpoch = -1;
  }

  private barTotal = -1;
  private barEpoch = -1;
}
