import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openNpz } from '../data/npz.js';
import { encodeNpz, writeNpzBytes } from '../data/npz-write.js';
import { createFolders } from '../io/atomic-write.js';
import type { ModelConfig } from '../model/config.js';
import type { Model } from '../model/model.js';
import type { NetworkSpec } from '../model/stack/index.js';
import type { Dtype, FloatArray } from '../model/float-array.js';
import type { OptimizerSettings } from '../optim/optimizer.js';
import type { PrivacySettings } from '../privacy/privacy-settings.js';
import type { KernelChoice } from '../kernels/index.js';
import type { RngKind } from '../rng/streams.js';
import { UserError } from '../util/errors.js';
import { checkMeta } from './checkpoint-meta.js';
import type { DataIdentity } from './data-identity.js';
import type { NoiseScaleSums } from './gradient-noise-scale.js';

export const CHECKPOINT_FILE = 'checkpoint.npz';
const FORMAT = 'shardtrain-checkpoint';
const VERSION = 3;

/** Where training stands: the next batch to run. */
export interface TrainingPosition {
  /** Epoch in progress, counting from 0. */
  readonly epoch: number;
  /** Index of the next batch of that epoch. */
  readonly batch: number;
  /** Loss summed over the epoch's samples so far, and how many, for the epoch's mean. */
  readonly epochLossSum: number;
  readonly epochSamples: number;
}

/** Everything besides the arrays; stored as JSON bytes in the `meta` array. */
export interface CheckpointMeta {
  readonly format: typeof FORMAT;
  readonly version: number;
  readonly position: TrainingPosition;
  /** Optimizer steps done: the Adam step count, and private training's count of mechanism uses. */
  readonly step: number;
  /** The network: the seed's configuration, or a layer stack's spec (exactly one is present). */
  readonly config?: ModelConfig;
  readonly spec?: NetworkSpec;
  readonly dtype: Dtype;
  /** wasm and TypeScript kernels round float32 differently, so a resumed run keeps the same ones. */
  readonly kernels: KernelChoice;
  /** The exact build, e.g. 'wasm relaxed-simd-fma': FMA and plain SIMD also differ in the last bits. */
  readonly kernelVariant: string;
  readonly batchSize: number;
  readonly dropLast: boolean;
  readonly optimizer: OptimizerSettings;
  /** Private training's settings; the guarantee follows from them and `step`. */
  readonly privacy?: PrivacySettings;
  /** The random streams are functions of (kind, seed, epoch), so these are their whole state. */
  readonly rng: RngKind;
  readonly seed: number;
  readonly data: DataIdentity;
  /** Extra data flags needed to load the same data again (path, keys, divisor...). */
  readonly dataFlags: Record<string, unknown>;
  /** The epochs the run was to reach when this was written: a resume without --epochs reaches them (older checkpoints lack it). */
  readonly epochs?: number;
  /** With --grad-stats: the epoch's gradient noise scale sums so far (a reporting flag, not a setting). */
  readonly noiseScale?: NoiseScaleSums;
}

export interface Checkpoint {
  readonly meta: CheckpointMeta;
  readonly params: FloatArray;
  /** The optimizer's state by name (Optimizer.buffers): adam_m and adam_v, or sgd_velocity. */
  readonly buffers: Readonly<Record<string, FloatArray>>;
  /** Private training: the per-sample norms of the epoch so far, so that its statistics survive a resume. */
  readonly epochNorms?: Float64Array;
}

/** Version 1 knew only Adam, under other field names. */
interface CheckpointMetaV1 extends Omit<CheckpointMetaV2, 'step' | 'optimizer' | 'version'> {
  readonly version: 1;
  readonly adamStep: number;
  readonly adam: Omit<OptimizerSettings & { kind: 'adam' }, 'kind'>;
}

/** Versions 1 and 2 kept the noise scale's sums of per-batch estimates, not the pooled sums. */
interface CheckpointMetaV2 extends Omit<CheckpointMeta, 'version' | 'noiseScale'> {
  readonly version: 2;
  readonly noiseScale?: { readonly gradientSquaredSum: number; readonly traceSum: number; readonly batches: number };
}

function upgrade(saved: CheckpointMeta | CheckpointMetaV2 | CheckpointMetaV1): CheckpointMeta {
  // A checkpoint without `kernels` was computed by the TypeScript kernels, the only ones that wrote
  // such files; one with wasm kernels but no `kernelVariant` does not say which build.
  const kernels = saved.kernels ?? 'typescript';
  const kernelVariant = saved.kernelVariant ?? (kernels === 'typescript' ? 'typescript' : 'wasm (build not recorded)');
  const meta = { ...saved, kernels, kernelVariant };
  if (meta.version === VERSION) return meta as CheckpointMeta;
  const v2 = meta.version === 2 ? (meta as CheckpointMetaV2) : upgradeV1(meta as CheckpointMetaV1);
  const { noiseScale: old, ...rest } = v2;
  if (old === undefined) return { ...rest, version: VERSION };
  // Each per-batch estimate was of a full batch (only an epoch's last batch is short, and the sums
  // restart at its end), so the pooled sums are the estimates times each batch's pairs and degrees of freedom.
  const b = v2.batchSize;
  // Anything but a number is left as it is, for checkMeta to name as the file has it.
  const times = (v: number, by: number) => (typeof v === 'number' ? v * by : v);
  const noiseScale: NoiseScaleSums = {
    gradientSquaredSum: times(old.gradientSquaredSum, b * (b - 1)),
    gradientSquaredWeight: times(old.batches, b * (b - 1)),
    traceSum: times(old.traceSum, b - 1),
    traceWeight: times(old.batches, b - 1),
    batches: old.batches,
  };
  return { ...rest, version: VERSION, noiseScale };
}

function upgradeV1(meta: CheckpointMetaV1): CheckpointMetaV2 {
  const { adamStep, adam, ...rest } = meta;
  return { ...rest, version: 2, step: adamStep, optimizer: { kind: 'adam', ...adam } };
}

/** The arrays an optimizer of this kind keeps (as its class names them in Optimizer.buffers). */
function bufferNames(settings: OptimizerSettings): string[] {
  return settings.kind === 'adam' ? ['adam_m', 'adam_v'] : ['sgd_velocity'];
}

/**
 * Written atomically (temporary file, fsync, rename): a crash leaves the previous checkpoint intact.
 * A missing directory is created, and removed again if this first write fails.
 */
export async function saveCheckpoint(dir: string, c: Checkpoint): Promise<void> {
  const shape = [c.params.length];
  const metaBytes = new TextEncoder().encode(JSON.stringify(c.meta));
  const buffers = Object.fromEntries(Object.entries(c.buffers).map(([name, values]) => [name, { data: values.slice(), shape }]));
  const bytes = await encodeNpz({
    params: { data: c.params.slice(), shape },
    ...buffers,
    ...(c.epochNorms === undefined ? {} : { epoch_norms: { data: c.epochNorms, shape: [c.epochNorms.length] } }),
    meta: { data: metaBytes, shape: [metaBytes.length] },
  });
  // From the folders to the file, synchronously: a second Ctrl-C, which exits at once, cannot leave empty folders.
  const removeFolders = createFolders(dir);
  try {
    writeNpzBytes(join(dir, CHECKPOINT_FILE), bytes);
  } catch (e) {
    removeFolders();
    throw e;
  }
}

/** True when `dir` holds a checkpoint that a new run would overwrite. */
export function holdsCheckpoint(dir: string): boolean {
  return existsSync(join(dir, CHECKPOINT_FILE));
}

export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  const path = join(dir, CHECKPOINT_FILE);
  const archive = await openNpz(path);
  const fail = (problem: string): never => {
    throw new UserError(`${path}: ${problem}`);
  };
  const missing = (key: string) => fail(`not a shardtrain checkpoint (no '${key}' array; found ${archive.keys.join(', ')})`);
  for (const key of ['params', 'meta']) if (!archive.keys.includes(key)) missing(key);
  let saved: CheckpointMeta | CheckpointMetaV2 | CheckpointMetaV1;
  try {
    saved = JSON.parse(new TextDecoder().decode((await archive.read('meta')).data as Uint8Array)) as CheckpointMeta | CheckpointMetaV2 | CheckpointMetaV1;
  } catch {
    return fail("not a shardtrain checkpoint (its 'meta' is not JSON)");
  }
  if (saved.format !== FORMAT || ![1, 2, VERSION].includes(saved.version)) fail(`not a version 1 to ${VERSION} shardtrain checkpoint`);
  const meta = upgrade(saved);
  checkMeta(meta, fail);
  const wanted = meta.dtype === 'float32' ? 'f4' : 'f8';
  const read = async (key: string): Promise<FloatArray> => {
    if (!archive.keys.includes(key)) missing(key);
    const a = await archive.read(key);
    if (a.dtype !== wanted) fail(`'${key}' is ${a.dtype}, the checkpoint says ${meta.dtype}`);
    return a.data as FloatArray;
  };
  // A NaN parameter may never reach the loss (the kernels skip zero pixels): it would train on, and be saved.
  const checkValues = (name: string, values: FloatArray, ok: (v: number) => boolean, what: string) => {
    const at = values.findIndex((v) => !ok(v));
    if (at >= 0) fail(`'${name}' holds ${values[at]} at ${at}, where ${what}`);
  };
  const params = await read('params');
  checkValues('params', params, Number.isFinite, 'parameters are finite');
  const buffers: Record<string, FloatArray> = {};
  for (const name of bufferNames(meta.optimizer)) {
    buffers[name] = await read(name);
    if (buffers[name].length !== params.length) fail(`'${name}' holds ${buffers[name].length} values for ${params.length} parameters`);
    // Adam's second moment is a mean of squares.
    if (name === 'adam_v') checkValues(name, buffers[name], (v) => v >= 0 && v < Infinity, 'the optimizer keeps finite values, none negative');
    else checkValues(name, buffers[name], Number.isFinite, 'the optimizer keeps finite values');
  }
  if (meta.privacy === undefined) return { meta, params, buffers };
  if (!archive.keys.includes('epoch_norms')) missing('epoch_norms');
  const norms = await archive.read('epoch_norms');
  if (norms.dtype !== 'f8') fail(`'epoch_norms' is ${norms.dtype}, not f8`);
  return { meta, params, buffers, epochNorms: norms.data as Float64Array };
}

/** The checkpoint of a trainer as it stands between steps. */
export function checkpointOf(
  trainer: {
    readonly model: Model;
    readonly options: {
      dtype: Dtype;
      kernels?: KernelChoice;
      batchSize: number;
      dropLast: boolean;
      optimizer: OptimizerSettings;
      privacy?: PrivacySettings;
      rng: RngKind;
      seed: number;
      epochs: number;
    };
    readonly kernelName: string;
    snapshot(): { params: FloatArray; buffers: Readonly<Record<string, FloatArray>>; epochNorms?: Float64Array; noiseScale?: NoiseScaleSums; position: TrainingPosition; step: number };
  },
  data: DataIdentity,
  dataFlags: Record<string, unknown>,
): Checkpoint {
  const { params, buffers, epochNorms, noiseScale, position, step } = trainer.snapshot();
  const { dtype, batchSize, dropLast, optimizer, privacy, rng, seed, epochs } = trainer.options;
  const kernels = trainer.options.kernels ?? 'typescript';
  const model = trainer.model.kind === 'seed' ? { config: trainer.model.config } : { spec: trainer.model.spec };
  return {
    meta: {
      format: FORMAT, version: VERSION, position, step, ...model, dtype, kernels, kernelVariant: trainer.kernelName,
      batchSize, dropLast, optimizer, ...(privacy === undefined ? {} : { privacy }), rng, seed, epochs, data, dataFlags,
      ...(noiseScale === undefined ? {} : { noiseScale }),
    },
    params,
    buffers,
    ...(epochNorms === undefined ? {} : { epochNorms }),
  };
}
