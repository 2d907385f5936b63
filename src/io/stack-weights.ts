/**
 * Weights of a layer stack as train --save writes them, and as PyTorch writes a state_dict with
 * np.savez: tensors under torch.nn.Sequential's names and layouts (`0.weight` (out,in,kh,kw),
 * `0.bias`, ...) and `architecture`, the network as the JSON of docs/models.md. Every tensor the
 * network has must be there with its shape, and nothing else of that form (as
 * load_state_dict(strict=True) demands).
 */
import type { NpzArchive } from '../data/npz.js';
import { allocFloat, type Dtype, type FloatArray } from '../model/float-array.js';
import { completeSpec, deriveStackDims, ModelSpecError, type NetworkSpec, parseSpecJson, sequentialLayout } from '../model/stack/index.js';
import { UserError } from '../util/errors.js';
import { defaultDtypeOf, NUMPY_NAMES, type StoredDtype, storedDtypeOf } from './load-weights.js';

const SEQUENTIAL_TENSOR = /^\d+\.(weight|bias)$/;

export interface StackWeights {
  readonly spec: NetworkSpec;
  readonly params: FloatArray;
  readonly dtype: Dtype;
  /** The tensors' dtype in the file, 'mixed' when they differ. */
  readonly storedDtype: StoredDtype;
}

/** True when the archive holds a layer stack's weights rather than the seed network's. */
export function holdsStackWeights(archive: NpzArchive): boolean {
  return archive.keys.includes('architecture') || archive.keys.some((k) => SEQUENTIAL_TENSOR.test(k));
}

/** The network and its parameters, in `dtype` or else the file's (float64 if any tensor is). */
export async function readStackWeights(archive: NpzArchive, dtype?: Dtype): Promise<StackWeights> {
  const path = archive.path;
  if (!archive.keys.includes('architecture')) {
    throw new UserError(`${path}: torch.nn.Sequential tensors but no 'architecture' (the network as JSON, see docs/models.md) to say what they compute`);
  }
  let spec: NetworkSpec;
  try {
    const list = parseSpecJson(await archive.readText('architecture'));
    if (list.input === undefined || list.classes === undefined) throw new ModelSpecError('the architecture must give "input" and "classes": a weights file alone says what images its network reads');
    const last = list.layers.at(-1);
    if (last?.type === 'dense' && last.out !== undefined && last.out !== list.classes) {
      throw new ModelSpecError(`"classes" is ${list.classes}, but the last layer has ${last.out} outputs`);
    }
    spec = completeSpec(list, { input: list.input, classes: list.classes });
    deriveStackDims(spec);
  } catch (e) {
    if (e instanceof ModelSpecError) throw new UserError(`${path}: 'architecture': ${e.message}`);
    throw e;
  }
  const layout = sequentialLayout(deriveStackDims(spec));
  const expected = new Set(layout.tensors.map((t) => t.name));
  const extra = archive.keys.filter((k) => SEQUENTIAL_TENSOR.test(k) && !expected.has(k));
  if (extra.length > 0) throw new UserError(`${path}: ${extra.join(', ')} belong to no layer of the architecture`);
  const arrays = [];
  for (const t of layout.tensors) {
    if (!archive.keys.includes(t.name)) throw new UserError(`${path}: the architecture needs '${t.name}' ${shape(t.shape)}, which the file lacks`);
    const a = await archive.read(t.name);
    // float16 (a model.half() state_dict) arrives widened to float32, as the seed's weights do.
    if (a.dtype !== 'f2' && a.dtype !== 'f4' && a.dtype !== 'f8') throw new UserError(`${path}: '${t.name}' is ${NUMPY_NAMES[a.dtype]}; weights are float16, float32 or float64`);
    if (shape(a.shape) !== shape(t.shape)) throw new UserError(`${path}: '${t.name}' is ${shape(a.shape)}, the architecture makes it ${shape(t.shape)}`);
    arrays.push({ tensor: t, stored: a.dtype, data: a.data as Float32Array | Float64Array });
  }
  const kinds = new Set(arrays.map((a) => a.stored));
  const storedDtype = storedDtypeOf(kinds);
  const chosen = dtype ?? defaultDtypeOf(kinds);
  const params = allocFloat(chosen, layout.total);
  for (const { tensor, data } of arrays) {
    const bad = data.findIndex((v) => !Number.isFinite(v) || (chosen === 'float32' && !Number.isFinite(Math.fround(v))));
    if (bad >= 0) throw new UserError(`${path}: '${tensor.name}' value ${bad} is ${data[bad]}, not a finite ${chosen}`);
    params.set(data, tensor.offset);
  }
  return { spec, params, dtype: chosen, storedDtype };
}

const shape = (s: readonly number[]): string => `(${s.join(',')})`;
