/**
 * The three ways to name a network, read into one LayerList: a preset name, the compact form,
 * or JSON text (the caller reads a JSON file and passes its text). Then `completeSpec` adds what
 * only the data knows: the image shape and the class count.
 */
import { parseCompact } from './compact.js';
import { ModelSpecError } from './errors.js';
import { parseSpecJson } from './json.js';
import { isPresetName, PRESET_NAMES, PRESETS } from './presets.js';
import { type ImageShape, LAYER_TYPES, type LayerList, type LayerSpec, type NetworkSpec } from './spec.js';

/** A preset name, JSON (text that starts with `{`) or the compact form. */
export function parseDescription(text: string): LayerList {
  const trimmed = text.trim();
  if (isPresetName(trimmed)) return parseCompact(PRESETS[trimmed]);
  if (trimmed.startsWith('{')) return parseSpecJson(trimmed);
  // One word that names no layer was most likely meant as a preset.
  const name = /^[a-z][a-z0-9-]*$/.exec(trimmed)?.[0];
  if (name !== undefined && !LAYER_TYPES.some((t) => name.startsWith(t))) {
    throw new ModelSpecError(`'${name}' is neither a preset (${PRESET_NAMES.join(', ')}) nor a layer (${LAYER_TYPES.join(', ')})`);
  }
  return parseCompact(trimmed);
}

/** What the data says about the network: one image's shape and the number of classes. */
export interface DataShape {
  readonly input: ImageShape;
  readonly classes: number;
}

/**
 * The network for this data: the last dense layer's width, when left out, becomes the class count.
 * A description that names its input shape or classes must agree with the data. Sizes that do not
 * fit are found by deriveStackDims (./dims.ts), which every user of the spec calls.
 */
export function completeSpec(list: LayerList, data: DataShape): NetworkSpec {
  if (list.input !== undefined && list.input.some((v, i) => v !== data.input[i])) {
    throw new ModelSpecError(`the description is for (${list.input.join(',')}) images, but the data's are (${data.input.join(',')})`);
  }
  if (list.classes !== undefined && list.classes !== data.classes) {
    throw new ModelSpecError(`the description is for ${list.classes} classes, but the data has ${data.classes}`);
  }
  const layers = list.layers.map((l): LayerSpec => (l.type === 'dense' && l.out === undefined ? { type: 'dense', out: data.classes } : (l as LayerSpec)));
  return { input: data.input, classes: data.classes, layers };
}
