import { statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { checkWritableDirectory, checkWritableFile } from '../io/output-path.js';
import { CHECKPOINT_FILE, holdsCheckpoint } from '../train/checkpoint.js';
import { checkNotLocked } from '../train/checkpoint-lock.js';
import { ModelSpecError } from '../model/stack/errors.js';
import { epsilonSpent } from '../privacy/accountant.js';
import { epsilonText } from '../privacy/epsilon-text.js';
import type { PrivacySettings } from '../privacy/privacy-settings.js';
import { SettingError, settingInWords, UserError } from '../util/errors.js';

export interface OutputFlags {
  save?: string;
  checkpoint?: string;
  checkpointEvery?: number;
  resume?: string;
}

/** `--resume` names the directory a run checkpointed into; a file there is most likely its checkpoint.npz. */
export function checkResumeDirectory(dir: string): void {
  let isFile = false;
  try {
    isFile = !statSync(dir).isDirectory();
  } catch {
    return; // A missing directory is reported by reading its checkpoint, naming the file looked for.
  }
  if (!isFile) return;
  const hint = basename(dir) === CHECKPOINT_FILE ? `: give the directory that holds it, --resume ${dirname(dir)}` : `, not the directory of a checkpointed run`;
  throw new UserError(`--resume ${dir}: is a file${hint}`);
}

/**
 * Every output is checked before any time is spent on training, and nothing is created: a
 * refused run leaves the disk as it found it. Returns where checkpoints go, if anywhere.
 */
export function checkOutputs(a: OutputFlags): string | undefined {
  if (a.save !== undefined) {
    if (!a.save.endsWith('.npz')) throw new UserError(`--save ${a.save}: the file name must end in .npz`);
    checkWritableFile(a.save, '--save');
  }
  const checkpointDir = a.checkpoint ?? a.resume;
  if (a.checkpointEvery !== undefined && checkpointDir === undefined) {
    throw new UserError(`--checkpoint-every ${a.checkpointEvery} needs a directory to write to: give --checkpoint DIR (or --resume DIR)`);
  }
  if (checkpointDir === undefined) return undefined;
  const flag = a.checkpoint !== undefined ? '--checkpoint' : '--resume';
  checkWritableDirectory(checkpointDir, flag);
  checkNotLocked(checkpointDir, flag);
  const continuesIt = a.resume !== undefined && resolve(a.resume) === resolve(checkpointDir);
  if (!continuesIt && holdsCheckpoint(checkpointDir)) {
    throw new UserError(
      `--checkpoint ${checkpointDir}: already holds a checkpoint; continue that run with --resume ${checkpointDir}, or remove ${checkpointDir}/${CHECKPOINT_FILE} to start over`,
    );
  }
  return checkpointDir;
}

/**
 * --save must not overwrite what the run reads or keeps: its training data, or its checkpoint,
 * which a resume would then find to be a weights file. Compared as files, so that another path to
 * the same file (a link, `./`) is caught too.
 */
export function checkSaveTarget(save: string | undefined, inputs: readonly (readonly [what: string, path: string | undefined])[]): void {
  if (save === undefined) return;
  for (const [what, path] of inputs) {
    if (path !== undefined && sameFile(save, path)) throw new UserError(`--save ${save}: is ${what}; give another file`);
  }
}

function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  try {
    const [x, y] = [statSync(a), statSync(b)];
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false; // One is not there yet: not the same file.
  }
}

/** A resumed run's network comes from its checkpoint: a size that does not work is the file's fault, not a flag's. */
export function fromCheckpoint<T>(dir: string, build: () => T): T {
  try {
    return build();
  } catch (e) {
    const file = join(dir, CHECKPOINT_FILE);
    if (e instanceof SettingError) throw new UserError(`${file}: its meta's network: ${e.wordedWith(settingInWords)}`);
    if (e instanceof ModelSpecError) throw new UserError(`${file}: its meta's spec: ${e.message}`);
    throw e;
  }
}

/** A checkpoint's position past its epoch's last step would train nothing and report NaN. */
export function checkPosition(dir: string, batch: number, stepsPerEpoch: number): void {
  if (batch > stepsPerEpoch) {
    throw new UserError(`${join(dir, CHECKPOINT_FILE)}: its meta's position.batch is ${batch}, past the ${stepsPerEpoch} steps of an epoch`);
  }
}

/** A checkpoint's parameters must be its network's: a meta edited to another network would pour them into the wrong places. */
export function checkParameterCount(dir: string, saved: number, network: number): void {
  if (saved !== network) {
    throw new UserError(`${join(dir, CHECKPOINT_FILE)}: its 'params' hold ${saved} values, but its meta's network has ${network} parameters`);
  }
}

/**
 * Noise calibrated to a target epsilon spends at most that over the steps it was calibrated for;
 * a resumed run that asks for more epochs would spend more, so it is refused, with the most
 * epochs that stay within the target.
 */
export function checkWithinTarget(privacy: PrivacySettings, sampleRate: number, epochs: number, stepsPerEpoch: number, asked: string): void {
  const target = privacy.targetEpsilon;
  if (target === undefined) return;
  const spent = (e: number) => epsilonSpent(privacy.accountant, { sampleRate, noise: privacy.noise, steps: e * stepsPerEpoch }, privacy.delta).epsilon;
  const epsilon = spent(epochs);
  if (epsilon <= target) return;
  // spent(within) <= target < spent(beyond): epsilon grows with the steps.
  let within = 0;
  let beyond = epochs;
  while (beyond - within > 1) {
    const middle = Math.floor((within + beyond) / 2);
    if (spent(middle) <= target) within = middle;
    else beyond = middle;
  }
  throw new UserError(
    `${asked}: the noise multiplier ${privacy.noise.toPrecision(6)} was calibrated for --target-epsilon ${target}, and ` +
      `${epochs * stepsPerEpoch} steps would spend epsilon ${epsilonText(epsilon)}; at most ${within} ${within === 1 ? 'epoch stays' : 'epochs stay'} within it`,
  );
}
