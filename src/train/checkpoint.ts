import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openNpz } from '../data/npz.js';
import { writeNpz } from '../data/npz-write.js';
import type { ModelConfig } from '../model/config.js';
import type { Model } from '../model/model.js';
import type { NetworkSpec } from '../model/stack/index.js';
import type { Dtype, FloatArray } from '../model/float-array.js';
import type { AdamOptions } from '../optim/adam.js';
import type { KernelChoice } from '../kernels/index.js';
import type { RngKind } from '../rng/streams.js';
import { UserError } from '../util/errors.js';
import type { DataIdentity } from './data-identity.js';

export const CHECKPOINT_FILE = 'checkpoint.npz';
const FORMAT = 'shardtrain-checkpoint';
const VERSION = 1;

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
  readonly adamStep: number;
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
  readonly adam: AdamOptions;
  /** The random streams are functions of (kind, seed, epoch), so these are their whole state. */
  readonly rng: RngKind;
  readonly seed: number;
  readonly data: DataIdentity;
  /** Extra data flags needed to load the same data again (path, keys, divisor...). */
  readonly dataFlags: Record<string, unknown>;
}

export interface Checkpoint {
  readonly meta: CheckpointMeta;
  readonly params: FloatArray;
  readonly adamM: FloatArray;
  readonly adamV: FloatArray;
}

/**
 * Written atomically (temporary file, fsync, rename): a crash leaves the previous checkpoint intact.
 * The directory is created here, by the first checkpoint, so a run that never got that far leaves none.
 */
export async function saveCheckpoint(dir: string, c: Checkpoint): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const shape = [c.params.length];
  const metaBytes = new TextEncoder().encode(JSON.stringify(c.meta));
  await writeNpz(join(dir, CHECKPOINT_FILE), {
    params: { data: c.params.slice(), shape },
    adam_m: { data: c.adamM.slice(), shape },
    adam_v: { data: c.adamV.slice(), shape },
    meta: { data: metaBytes, shape: [metaBytes.length] },
  });
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
  for (const key of ['params', 'adam_m', 'adam_v', 'meta']) {
    if (!archive.keys.includes(key)) fail(`not a shardtrain checkpoint (no '${key}' array; found ${archive.keys.join(', ')})`);
  }
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(new TextDecoder().decode((await archive.read('meta')).data as Uint8Array)) as CheckpointMeta;
  } catch {
    return fail("not a shardtrain checkpoint (its 'meta' is not JSON)");
  }
  if (meta.format !== FORMAT || meta.version !== VERSION) fail(`not a version ${VERSION} shardtrain checkpoint`);
  const wanted = meta.dtype === 'float32' ? 'f4' : 'f8';
  const arrays: FloatArray[] = [];
  for (const key of ['params', 'adam_m', 'adam_v']) {
    const a = await archive.read(key);
    if (a.dtype !== wanted) fail(`'${key}' is ${a.dtype}, the checkpoint says ${meta.dtype}`);
    arrays.push(a.data as FloatArray);
  }
  const [params, adamM, adamV] = arrays;
  if (adamM.length !== params.length || adamV.length !== params.length) fail('parameter and Adam moment sizes differ');
  return { meta, params, adamM, adamV };
}

/** The checkpoint of a trainer as it stands between steps. */
export function checkpointOf(
  trainer: {
    readonly model: Model;
    readonly options: { dtype: Dtype; kernels?: KernelChoice; batchSize: number; dropLast: boolean; adam: AdamOptions; rng: RngKind; seed: number };
    readonly kernelName: string;
    snapshot(): { params: FloatArray; adamM: FloatArray; adamV: FloatArray; position: TrainingPosition; adamStep: number };
  },
  data: DataIdentity,
  dataFlags: Record<string, unknown>,
): Checkpoint {
  const { params, adamM, adamV, position, adamStep } = trainer.snapshot();
  const { dtype, batchSize, dropLast, adam, rng, seed } = trainer.options;
  const kernels = trainer.options.kernels ?? 'typescript';
  return {
    meta: { format: FORMAT, version: VERSION, position, adamStep, ...(trainer.model.kind === 'seed' ? { config: trainer.model.config } : { spec: trainer.model.spec }), dtype, kernels, kernelVariant: trainer.kernelName, batchSize, dropLast, adam, rng, seed, data, dataFlags },
    params,
    adamM,
    adamV,
  };
}
