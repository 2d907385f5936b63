import { type NameSetting, SettingError, settingInWords, UserError } from '../util/errors.js';

/**
 * The flag that sets each setting the domain can complain about. The domain names settings by
 * their option names and never by flags; this table is the only place that knows both.
 */
const FLAG_OF_SETTING: Record<string, string> = {
  filters1: 'filters1',
  kernel1: 'kernel1',
  stride1: 'stride1',
  filters2: 'filters2',
  kernel2: 'kernel2',
  stride2: 'stride2',
  dtype: 'dtype',
  kernels: 'kernels',
  model: 'model',
  seed: 'seed',
  rng: 'rng',
  epochs: 'epochs',
  threads: 'threads',
  batchSize: 'batch-size',
  dropLast: 'drop-last',
  optimizer: 'optimizer',
  lr: 'lr',
  momentum: 'momentum',
  beta1: 'beta1',
  beta2: 'beta2',
  eps: 'eps',
  data: 'data',
  trainImagesKey: 'train-images-key',
  trainLabelsKey: 'train-labels-key',
  testImagesKey: 'test-images-key',
  testLabelsKey: 'test-labels-key',
  pixelDivisor: 'pixel-divisor',
  imageSize: 'image-size',
  channelsLayout: 'channels',
  trainCount: 'train-count',
  testCount: 'test-count',
  dp: 'dp',
  gradStats: 'grad-stats',
  clip: 'clip',
  noise: 'noise',
  targetEpsilon: 'target-epsilon',
  delta: 'delta',
  accountant: 'accountant',
  sampling: 'sampling',
  secureNoise: 'secure-noise',
  resume: 'resume',
  init: 'init',
  resize: 'resize',
  sampleRate: 'sample-rate',
  trainSize: 'train-size',
  steps: 'steps',
};

/** '--kernel1' for a setting a flag sets; the domain's words for one no flag sets ('image height'). */
export const flagOf: NameSetting = (setting) => {
  const flag = FLAG_OF_SETTING[setting];
  return flag === undefined ? settingInWords(setting) : `--${flag}`;
};

/** The one line the user sees: a setting error worded with flags, any other as it is. */
export function messageForUser(e: UserError): string {
  return e instanceof SettingError ? e.wordedWith(flagOf) : e.message;
}
