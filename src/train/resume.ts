/**
 * The resume rules. A checkpoint fixes everything that decides what is trained: the model, the
 * data, the dtype and kernels, the random streams, the batch, the optimizer's settings and private
 * training's. A resumed run
 * takes them all from it; a setting the run asks for must agree with the checkpoint, because
 * continuing with another model, optimiser or data would not be the same training. The thread
 * count, the epochs to reach and where checkpoints go may change.
 */
import type { DataSelection } from '../data/dataset.js';
import { describeModel, MODEL_SETTINGS, modelDisagreement, type ModelOptions, type ModelSettings, showSetting } from '../model/config.js';
import type { Dtype } from '../model/float-array.js';
import type { ModelChoice } from '../model/model.js';
import { completeSpec, formatCompact } from '../model/stack/index.js';
import type { AdamOptions } from '../optim/adam.js';
import type { OptimizerKind, OptimizerSettings } from '../optim/optimizer.js';
import type { PrivacyRequest, PrivacySettings } from '../privacy/privacy-settings.js';
import type { KernelChoice } from '../kernels/index.js';
import type { RngKind } from '../rng/streams.js';
import { type NameSetting, SettingError } from '../util/errors.js';
import type { CheckpointMeta } from './checkpoint.js';
import { dataDifference, type DataIdentity } from './data-identity.js';

/** Everything that decides what is trained. */
export interface TrainSettings {
  readonly kernels: KernelChoice;
  readonly model: ModelChoice;
  readonly dtype: Dtype;
  readonly seed: number;
  readonly rng: RngKind;
  readonly batchSize: number;
  readonly dropLast: boolean;
  readonly optimizer: OptimizerSettings;
  /** Private training: as asked for by a fresh run, or a checkpoint's settings (the noise resolved). */
  readonly privacy?: PrivacyRequest;
  readonly data: DataSelection;
}

/** What a resumed run asks for, setting by setting; a setting left out comes from the checkpoint. */
export interface ResumeRequest extends Partial<ModelSettings>, Partial<AdamOptions> {
  /** The network --model asks for, when given: a layer stack, or the seed's (also asked for by its size settings). */
  model?: ModelChoice;
  kernels?: KernelChoice;
  dtype?: Dtype;
  seed?: number;
  rng?: RngKind;
  batchSize?: number;
  dropLast?: boolean;
  optimizer?: OptimizerKind;
  momentum?: number;
  /** Private training asked for (--dp), and any of its settings given. */
  dp?: boolean;
  privacy?: Partial<PrivacyRequest>;
  /** Only the data settings given; each must be the checkpoint's. */
  data: DataSelection;
}

/** A resume that would not continue the same training: `setting` is the one at fault. */
export class ResumeError extends SettingError {
  constructor(setting: string, sentence: (name: NameSetting) => string) {
    super(setting, sentence);
    this.name = 'ResumeError';
  }
}

/** The settings of the run checkpointed in `dir`, or a ResumeError naming the first setting that disagrees. */
export function resumedSettings(request: ResumeRequest, meta: CheckpointMeta, dir: string): TrainSettings {
  const refuse = (setting: string, saved: unknown, given: unknown): never => {
    throw new ResumeError(setting, (name) => {
      const was = saved === undefined ? `without ${name(setting)}` : `with ${name(setting)} ${showSetting(saved)}`;
      return `${name('resume')} ${dir}: the checkpoint was trained ${was}, not with ${name(setting)} ${showSetting(given)}`;
    });
  };
  const agree = <T>(setting: string, given: T | undefined, saved: T): T => {
    if (given !== undefined && JSON.stringify(given) !== JSON.stringify(saved)) refuse(setting, saved, given);
    return saved;
  };
  const model = checkpointModelChoice(meta, request, refuse);
  const savedData = meta.dataFlags as DataSelection;
  for (const [setting, value] of Object.entries(request.data)) {
    if (value !== undefined) agree(setting, value, (savedData as Record<string, unknown>)[setting]);
  }
  return {
    kernels: agree('kernels', request.kernels, meta.kernels),
    model,
    dtype: agree('dtype', request.dtype, meta.dtype),
    seed: agree('seed', request.seed, meta.seed),
    rng: agree('rng', request.rng, meta.rng),
    batchSize: agree('batchSize', request.batchSize, meta.batchSize),
    dropLast: agree('dropLast', request.dropLast, meta.dropLast),
    optimizer: checkpointOptimizer(meta.optimizer, request, agree),
    ...checkpointPrivacy(meta.privacy, request, agree),
    data: savedData,
  };
}

type Agree = <T>(setting: string, given: T | undefined, saved: T) => T;

function checkpointOptimizer(saved: OptimizerSettings, request: ResumeRequest, agree: Agree): OptimizerSettings {
  agree('optimizer', request.optimizer, saved.kind);
  const lr = agree('lr', request.lr, saved.lr);
  if (saved.kind === 'sgd') {
    for (const setting of ['beta1', 'beta2', 'eps'] as const) agree(setting, request[setting], undefined);
    return { kind: 'sgd', lr, momentum: agree('momentum', request.momentum, saved.momentum) };
  }
  agree('momentum', request.momentum, undefined);
  const { beta1, beta2, eps } = saved;
  return { kind: 'adam', lr, beta1: agree('beta1', request.beta1, beta1), beta2: agree('beta2', request.beta2, beta2), eps: agree('eps', request.eps, eps) };
}

/** A private run continues private with its own settings; an ordinary one cannot become private. */
function checkpointPrivacy(saved: PrivacySettings | undefined, request: ResumeRequest, agree: Agree): { privacy?: PrivacySettings } {
  const asked = request.privacy ?? {};
  if (saved === undefined) {
    if (request.dp === true) agree('dp', true, undefined);
    for (const [setting, value] of Object.entries(asked)) agree(setting, value, undefined);
    return {};
  }
  if (request.dp === false) agree('dp', false, true);
  for (const [setting, value] of Object.entries(asked)) agree(setting, value, (saved as unknown as Record<string, unknown>)[setting]);
  return { privacy: saved };
}

/** The checkpoint's network, after checking that the model the request names (if any) is that one. */
function checkpointModelChoice(meta: CheckpointMeta, request: ResumeRequest, refuse: (setting: string, saved: unknown, given: unknown) => never): ModelChoice {
  if (meta.spec !== undefined) {
    const saved = formatCompact(meta.spec.layers);
    const seedSetting = MODEL_SETTINGS.find((setting) => request[setting] !== undefined);
    if (seedSetting !== undefined || request.model?.kind === 'seed') refuse('model', saved, 'seed');
    if (request.model !== undefined) {
      const given = formatCompact(completeSpec(request.model.layers, meta.spec).layers);
      if (given !== saved) refuse('model', saved, given);
    }
    return { kind: 'stack', layers: meta.spec };
  }
  const options: ModelOptions = { conv1: meta.config!.conv1, conv2: meta.config!.conv2 };
  if (request.model?.kind === 'stack') refuse('model', 'seed', formatCompact(request.model.layers.layers));
  const differs = modelDisagreement(request, options);
  if (differs !== null) refuse(differs.setting, differs.own, differs.given);
  return { kind: 'seed', options };
}

/** `epochs` counts the epochs already done, so a resume must ask for more than the checkpoint has. */
export function checkEpochsLeft(meta: CheckpointMeta, epochs: number, dir: string, given: boolean, saving: boolean): void {
  const done = meta.position.epoch;
  if (done < epochs) return;
  // A finished run whose --save failed, or was cut off, gets its weights from the checkpoint.
  if (done === epochs && saving) return;
  const plural = done === 1 ? '' : 's';
  if (!given) throw new ResumeError('epochs', (name) => `the run in ${dir} has done its ${done} epoch${plural}; ask for more with ${name('epochs')}`);
  throw new ResumeError('epochs', (name) => `${name('epochs')} ${epochs}: the run in ${dir} has done ${done} epoch${plural} already; ask for more`);
}

/** The data loaded now must be the bytes the checkpoint was trained on. */
export function checkSameData(meta: CheckpointMeta, now: DataIdentity, dir: string): void {
  const difference = dataDifference(meta.data, now);
  if (difference !== null) throw new ResumeError('data', (name) => `${name('resume')} ${dir}: ${difference}`);
}

/** Weights given to start from decide the network; a model setting also given must describe the same one. */
export function checkInitModel(request: Partial<ModelSettings>, fileModel: ModelOptions, path: string): void {
  const differs = modelDisagreement(request, fileModel);
  if (differs === null) return;
  throw new SettingError(
    differs.setting,
    (name) =>
      `${name('init')} ${path}: ${name(differs.setting)} ${differs.given} describes another network than the file's ` +
      `(${describeModel(fileModel)}); the file decides the network, so leave ${name(differs.setting)} out`,
  );
}
