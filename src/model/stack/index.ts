// A layer stack from description to per-sample gradients; docs/models.md describes the forms and rules.
export { formatCompact, formatLayer, parseCompact } from './compact.js';
export { completeSpec, type DataShape, parseDescription } from './description.js';
export { type ActivationShape, deriveStackDims, type StackDims, type StackLayer } from './dims.js';
export { ModelSpecError } from './errors.js';
export { initStackParameters, weightScale } from './init.js';
export { parseSpecJson, specToJson } from './json.js';
export { StackNetwork } from './network.js';
export { layerParameterViews, type SequentialLayout, sequentialLayout, type SequentialTensor, stackSlotLayout } from './parameters.js';
export { isPresetName, PRESET_NAMES, PRESETS, type PresetName } from './presets.js';
export { type LayerList, type LayerSpec, type NetworkSpec } from './spec.js';
export { formatSummary, type Summary, summarize } from './summary.js';
