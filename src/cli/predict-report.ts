import type { Prediction } from '../eval/predict-images.js';
import type { PreparedImage } from '../eval/prepare-input.js';
import type { WeightsFile } from '../io/load-weights.js';
import type { ModelConfig } from '../model/config.js';

/** For people: `name  class 7  p 0.9970  probabilities 0.0000 0.0001 ...`, one line per image. */
export function formatPredictionLine(image: PreparedImage, p: Prediction): string {
  const resized = image.resizedFrom ? `  (resized from ${image.resizedFrom[0]}x${image.resizedFrom[1]})` : '';
  return (
    `${image.source.name}  class ${p.predicted}  p ${p.probabilities[p.predicted].toFixed(4)}  ` +
    `probabilities ${p.probabilities.map((v) => v.toFixed(4)).join(' ')}${resized}`
  );
}

/** For programs: one JSON object for the whole run. */
export function predictJson(
  weights: WeightsFile,
  config: ModelConfig,
  options: { invert: boolean; resize: boolean },
  images: readonly PreparedImage[],
  predictions: readonly Prediction[],
): string {
  return JSON.stringify({
    weights: weights.path,
    storedDtype: weights.storedDtype,
    dtype: weights.dtype,
    configSource: weights.configSource,
    config,
    invert: options.invert,
    resize: options.resize,
    predictions: images.map((image, i) => ({
      input: image.source.name,
      file: image.source.file,
      index: image.source.index,
      resizedFrom: image.resizedFrom,
      class: predictions[i].predicted,
      probability: predictions[i].probabilities[predictions[i].predicted],
      probabilities: predictions[i].probabilities,
    })),
  });
}
