import type { SavedNetwork } from '../io/saved-network.js';
import { describeModelLayers, type Model, modelClasses } from '../model/model.js';
import { formatCompact, specToJson } from '../model/stack/index.js';

/** What eval and predict say of the weights' network, after the file's dtype: where it was described and, for a stack, its layers. */
export function describeNetwork(w: SavedNetwork, model: Model): string {
  if (model.kind === 'stack') return `${formatCompact(model.spec.layers)}, from its architecture`;
  const { conv1, conv2 } = model.config;
  return w.source === 'config arrays' ? 'configuration from its arrays' : `configuration inferred from the array shapes, strides ${conv1.stride} and ${conv2.stride}`;
}

/**
 * The network in eval's and predict's JSON: the same keys for both kinds (`model` is the compact
 * line, `input` (C,H,W)), and the seed's `config` or a stack's `architecture` (docs/models.md's JSON).
 */
export function networkJson(w: SavedNetwork, model: Model): Record<string, unknown> {
  const input = model.kind === 'stack' ? [...model.spec.input] : [1, model.config.imageHeight, model.config.imageWidth];
  return {
    weights: w.path,
    storedDtype: w.storedDtype,
    dtype: w.dtype,
    configSource: w.source,
    model: describeModelLayers(model),
    input,
    classes: modelClasses(model),
    ...(model.kind === 'seed' ? { config: model.config } : { architecture: specToJson(model.spec) }),
  };
}
