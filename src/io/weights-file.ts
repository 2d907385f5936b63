import type { ModelConfig } from '../model/config.js';
import type { FloatArray } from '../model/float-array.js';
import type { ParameterLayout } from '../model/parameters.js';
import { type NpzWriteArray, writeNpz } from '../data/npz-write.js';

/**
 * Saves trained weights as an .npz that `np.load` opens: the seed's names and shapes (kern, kb,
 * kern2, kb2, w, b) in the dtype trained, plus the model configuration as small int32 arrays so
 * that the file alone says how to rebuild the network:
 *   image_shape (H, W), classes (), conv1 and conv2 (filters, kernel_h, kernel_w, stride).
 * Written atomically: a crash leaves the old file or the new one, never half of one.
 */
export async function saveWeights(path: string, params: FloatArray, layout: ParameterLayout, config: ModelConfig): Promise<void> {
  const arrays: Record<string, NpzWriteArray> = {};
  for (const t of layout.tensors) {
    arrays[t.name] = { data: params.slice(t.offset, t.offset + t.length), shape: [...t.shape] };
  }
  const conv = (c: ModelConfig['conv1']) => Int32Array.from([c.filters, c.kernelHeight, c.kernelWidth, c.stride]);
  arrays.image_shape = { data: Int32Array.from([config.imageHeight, config.imageWidth]), shape: [2] };
  arrays.classes = { data: Int32Array.from([config.classes]), shape: [] };
  arrays.conv1 = { data: conv(config.conv1), shape: [4] };
  arrays.conv2 = { data: conv(config.conv2), shape: [4] };
  await writeNpz(path, arrays);
}
