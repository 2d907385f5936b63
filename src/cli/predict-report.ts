import type { Prediction } from '../eval/predict-images.js';
import type { ChannelConversion, PreparedImage } from '../eval/prepare-input.js';
import type { SavedNetwork } from '../io/saved-network.js';
import type { Model } from '../model/model.js';
import { networkJson } from './network-report.js';

const CONVERSION_NOTE: Record<ChannelConversion, string> = { luminance: 'RGB as gray luminance', replicated: 'gray as RGB' };

/** For people: `name  class 7  p 0.9970  probabilities 0.0000 0.0001 ...`, one line per image, then how it was adapted if it was. */
export function formatPredictionLine(image: PreparedImage, p: Prediction): string {
  const notes = [
    ...(image.conversion ? [CONVERSION_NOTE[image.conversion]] : []),
    ...(image.resizedFrom ? [`resized from ${image.resizedFrom[0]}x${image.resizedFrom[1]}`] : []),
  ];
  return (
    `${image.source.name}  class ${p.predicted}  p ${p.probabilities[p.predicted].toFixed(4)}  ` +
    `probabilities ${p.probabilities.map((v) => v.toFixed(4)).join(' ')}${notes.length > 0 ? `  (${notes.join(', ')})` : ''}`
  );
}

/** For programs: one JSON object for the whole run. */
export function predictJson(
  weights: SavedNetwork,
  model: Model,
  options: { invert: boolean; resize: boolean; pixelDivisor: number | null },
  images: readonly PreparedImage[],
  predictions: readonly Prediction[],
): string {
  return JSON.stringify({
    ...networkJson(weights, model),
    invert: options.invert,
    resize: options.resize,
    pixelDivisor: options.pixelDivisor,
    predictions: images.map((image, i) => ({
      input: image.source.name,
      file: image.source.file,
      index: image.source.index,
      channels: image.source.channels,
      conversion: image.conversion,
      resizedFrom: image.resizedFrom,
      class: predictions[i].predicted,
      probability: predictions[i].probabilities[predictions[i].predicted],
      probabilities: predictions[i].probabilities,
    })),
  });
}
