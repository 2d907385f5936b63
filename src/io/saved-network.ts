/**
 * The network a weights file holds, whichever kind: the seed network's six arrays (load-weights.ts,
 * configured by its own arrays or by their shapes) or a layer stack's torch.nn.Sequential tensors
 * with their architecture (stack-weights.ts), from train --save or from PyTorch. eval and predict
 * read a file through here, so that neither needs to know which kind it got.
 */
import { openNpz } from '../data/npz.js';
import type { Dtype, FloatArray } from '../model/float-array.js';
import type { Model } from '../model/model.js';
import { SettingError, UserError } from '../util/errors.js';
import { type LoadWeightsOptions, readSeedWeights, type StoredDtype, type WeightsFile } from './load-weights.js';
import { holdsStackWeights, readStackWeights } from './stack-weights.js';

export interface SavedNetwork {
  readonly path: string;
  /** The precision to compute in: options.dtype, else the file's. */
  readonly dtype: Dtype;
  readonly storedDtype: StoredDtype;
  /** The flat parameters in the model's layout (modelShape). */
  readonly params: FloatArray;
  readonly classes: number;
  /** Channels of the images the network takes: 1 for the seed network, the architecture's first otherwise. */
  readonly channels: number;
  /** (height, width) the file names; undefined for the seed's weights without configuration arrays. */
  readonly imageSize: readonly [number, number] | undefined;
  /** What described the network: the seed's configuration arrays, its arrays' shapes, or a stack's architecture. */
  readonly source: 'config arrays' | 'shapes' | 'architecture';
  /** The seed's reading of the file, for what only it knows (the image sizes its w fits); null for a stack. */
  readonly seed: WeightsFile | null;
  /** The network for images of this size, or a UserError naming the file and the mismatch. */
  modelFor(height: number, width: number, imagesName?: string): Model;
}

export async function readSavedNetwork(path: string, options: LoadWeightsOptions = {}): Promise<SavedNetwork> {
  const archive = await openNpz(path);
  if (!holdsStackWeights(archive)) {
    const seed = await readSeedWeights(archive, options);
    const { dtype, storedDtype, params, classes, imageSize } = seed;
    return {
      path, dtype, storedDtype, params, classes, channels: 1, imageSize, source: seed.configSource, seed,
      modelFor: (height, width, imagesName) => ({ kind: 'seed', config: seed.configFor(height, width, imagesName) }),
    };
  }
  // A stride given for the seed's convolutions would otherwise be ignored without a word.
  for (const setting of ['stride1', 'stride2'] as const) {
    if (options[setting] !== undefined) {
      throw new SettingError(setting, (name) => `${path}: ${name(setting)} sizes the seed network, and the file holds a layer stack whose architecture gives its strides; leave ${name(setting)} out`);
    }
  }
  const stack = await readStackWeights(archive, options.dtype);
  const model: Model = { kind: 'stack', spec: stack.spec };
  const [channels, height, width] = stack.spec.input;
  return {
    path,
    dtype: stack.dtype,
    storedDtype: stack.storedDtype,
    params: stack.params,
    classes: stack.spec.classes,
    channels,
    imageSize: [height, width],
    source: 'architecture',
    seed: null,
    modelFor: (h, w, imagesName = 'the images') => {
      if (h !== height || w !== width) {
        throw new UserError(`${path}: the network takes ${channels}x${height}x${width} images (its 'architecture') but ${imagesName} are ${h}x${w}`);
      }
      return model;
    },
  };
}
