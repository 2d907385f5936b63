import type { ModelConfig } from '../model/config.js';
import type { FloatArray } from '../model/float-array.js';
import type { Model, ModelShape } from '../model/model.js';
import { specToJson } from '../model/stack/index.js';
import { NpyText, type NpzWriteArray, writeNpz } from '../data/npz-write.js';
import type { PrivacyGuarantee } from '../privacy/privacy-settings.js';

/**
 * Saves trained weights as an .npz that `np.load` opens, in the dtype trained. The seed network:
 * its own names and shapes (kern, kb, kern2, kb2, w, b), plus its configuration as small int32
 * arrays so that the file alone says how to rebuild the network:
 *   image_shape (H, W), classes (), conv1 and conv2 (filters, kernel_h, kernel_w, stride).
 * A layer stack: torch.nn.Sequential's state_dict names and layouts (`0.weight` (out,in,kh,kw),
 * `0.bias`, ...), plus `architecture`, the network as JSON.
 * Weights trained privately also hold `privacy`: the guarantee they were released under, as JSON.
 * Written atomically: a crash leaves the old file or the new one, never half of one.
 */
export async function saveWeights(
  path: string,
  params: FloatArray,
  layout: Pick<ModelShape, 'tensors'>,
  model: Model,
  privacy?: PrivacyGuarantee,
): Promise<void> {
  const arrays: Record<string, NpzWriteArray> = {};
  for (const t of layout.tensors) {
    arrays[t.name] = { data: params.slice(t.offset, t.offset + t.length), shape: [...t.shape] };
  }
  if (model.kind === 'seed') Object.assign(arrays, seedConfigArrays(model.config));
  // A layer stack's tensors already carry torch.nn.Sequential's names and layouts; the architecture
  // is the JSON of docs/models.md, a str that np.load returns as it is (no pickle).
  else arrays.architecture = { data: new NpyText(JSON.stringify(specToJson(model.spec))), shape: [] };
  if (privacy !== undefined) arrays.privacy = { data: new NpyText(JSON.stringify(privacy)), shape: [] };
  await writeNpz(path, arrays);
}

/** The seed's configuration as small int32 arrays, so that the file alone rebuilds the network. */
function seedConfigArrays(config: ModelConfig): Record<string, NpzWriteArray> {
  const arrays: Record<string, NpzWriteArray> = {};
  const conv = (c: ModelConfig['conv1']) => Int32Array.from([c.filters, c.kernelHeight, c.kernelWidth, c.stride]);
  arrays.image_shape = { data: Int32Array.from([config.imageHeight, config.imageWidth]), shape: [2] };
  arrays.classes = { data: Int32Array.from([config.classes]), shape: [] };
  arrays.conv1 = { data: conv(config.conv1), shape: [4] };
  arrays.conv2 = { data: conv(config.conv2), shape: [4] };
  return arrays;
}
