// The second half of `train`: with the trainer made, run it, checkpoint as asked, and report.
import { imageShapeText } from '../data/dataset.js';
import { saveWeights } from '../io/weights-file.js';
import { modelSummary } from '../model/model.js';
import { formatSummary } from '../model/stack/index.js';
import { WorkerFault } from '../parallel/worker-fault.js';
import { type Checkpoint, checkpointOf, saveCheckpoint } from '../train/checkpoint.js';
import type { DataIdentity } from '../train/data-identity.js';
import { explainNoiseScale } from '../train/gradient-noise-scale.js';
import { NumericalFault } from '../train/numerical-fault.js';
import type { Trainer } from '../train/trainer.js';
import { UserError } from '../util/errors.js';
import { epochJson, formatEpochLine, percent } from './epoch-report.js';
import { INTERRUPTED_EXIT_CODE, type Interrupts } from './interrupts.js';
import { describeGuarantee, privacyLine } from './privacy-report.js';
import { EpochProgress } from './progress.js';

/** The flags this half reads. */
export interface RunFlags {
  readonly json: boolean;
  readonly threads: number;
  readonly save?: string;
  readonly init?: string;
  readonly checkpointEvery?: number;
}

/** Where and how checkpoints are written, if anywhere. */
export interface Checkpointing {
  readonly dir: string;
  /** The data's identity, which every checkpoint records. */
  readonly identity: DataIdentity;
  /** The data flags a resume needs to load the same data. */
  readonly dataFlags: Record<string, unknown>;
}

/** Runs `trainer` to its epochs; closes it whatever happens. */
export async function runTraining(trainer: Trainer, a: RunFlags, checkpointing: Checkpointing | null, resumed: Checkpoint | null, interrupts: Interrupts): Promise<void> {
  const writeCheckpoint = async () => {
    if (checkpointing !== null) await saveCheckpoint(checkpointing.dir, checkpointOf(trainer, checkpointing.identity, { ...checkpointing.dataFlags }));
  };
  const out = (line: string) => process.stdout.write(line + '\n');
  const progress = new EpochProgress();
  const model = trainer.model;
  try {
    if (!a.json) out(`${headerLine(trainer, a.threads, resumed, a.init)}\n${privacyLine(trainer)}${formatSummary(modelSummary(model))}`);
    else out(JSON.stringify({ model: modelSummary(model) }));
    interrupts.whileRunning(() => trainer.requestStop());
    let result;
    try {
      result = await trainer.run({
        onBatch: (p) => progress.update(p),
        ...(a.checkpointEvery === undefined ? {} : { onStepEvery: a.checkpointEvery }),
        onStep: async (t) => {
          if (a.checkpointEvery !== undefined && t.optimizer.step % a.checkpointEvery === 0) await writeCheckpoint();
        },
        onEpoch: async (r) => {
          progress.clear();
          out(a.json ? epochJson(r) : formatEpochLine(r));
          await writeCheckpoint();
        },
      });
    } catch (e) {
      if (!(e instanceof NumericalFault || e instanceof WorkerFault)) throw e;
      // Nothing of the failed step was applied: the trainer holds the last good state.
      progress.clear();
      await writeCheckpoint();
      const kept = checkpointing !== null ? `; the last good state is checkpointed in ${checkpointing.dir}` : '';
      throw new UserError(`${e.message}${kept}`, 1);
    }
    progress.clear();
    if (result.interrupted) {
      await writeCheckpoint();
      const kept = checkpointing !== null ? `, checkpoint written to ${checkpointing.dir} (continue with --resume ${checkpointing.dir})` : '';
      throw new UserError(`interrupted after step ${trainer.optimizer.step}${kept}`, INTERRUPTED_EXIT_CODE);
    }
    const last = result.reports[result.reports.length - 1];
    // A finished run resumed only to save: its state still goes to a --checkpoint elsewhere.
    if (last === undefined) await writeCheckpoint();
    const guarantee = trainer.dpSgd?.guarantee(trainer.optimizer.step);
    if (a.save !== undefined) await saveWeights(a.save, trainer.params, trainer.shape, trainer.model, guarantee);
    if (!a.json) {
      const epochs = trainer.options.epochs;
      if (last === undefined) out(`nothing left to train: the run had done its ${epochs} epoch${epochs === 1 ? '' : 's'}`);
      else out(`test accuracy ${last.test.correct}/${last.test.total} (${percent(last.test.correct, last.test.total)})`);
      if (guarantee !== undefined) out(describeGuarantee(guarantee));
      if (last?.noiseScale !== undefined && Number.isFinite(last.noiseScale.simple)) out(explainNoiseScale(last.noiseScale.simple, trainer.options.batchSize));
      if (a.save !== undefined) out(`weights saved to ${a.save}`);
    }
  } finally {
    progress.clear();
    await trainer.close();
  }
}

function headerLine(trainer: Trainer, threads: number, resumed: Checkpoint | null, initFrom: string | undefined): string {
  const { train, test, source, classes } = trainer.dataset;
  const from = resumed === null ? '' : `; resuming at epoch ${resumed.meta.position.epoch + 1}, step ${resumed.meta.step}`;
  const init = initFrom === undefined ? '' : `; starting from ${initFrom}`;
  return (
    `shardtrain: ${source}, ${train.count} train / ${test.count} test ${imageShapeText(train)} images, ` +
    `${classes} classes; ${trainer.shape.total.toLocaleString('en-US')} parameters, ${trainer.options.dtype}, ${threads} thread(s), ${trainer.kernelName} kernels${from}${init}`
  );
}
