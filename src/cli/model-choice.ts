import { readFileAsSync } from '../data/read-whole.js';
import type { Argv } from 'yargs';
import type { Dataset } from '../data/dataset.js';
import { MODEL_SETTINGS } from '../model/config.js';
import { buildModel, type Model, type ModelChoice } from '../model/model.js';
import { ModelSpecError, parseDescription, parseSpecJson, PRESET_NAMES, PRESETS } from '../model/stack/index.js';
import { SettingError, UserError } from '../util/errors.js';
import { type ModelFlags, modelOptionsFrom } from './model-options.js';

/** --model, shared by the commands that build a network from scratch (train, bench). */
export function withModelChoice<T>(y: Argv<T>) {
  return y.option('model', {
    type: 'string',
    defaultDescription: 'seed',
    describe:
      `the network: a preset, FILE.json, or layers joined by commas, each conv<out>k<h>[x<w>][s<h>[x<w>]][p<h>[x<w>]], ` +
      'maxpool<h>[x<w>][s<h>[x<w>]], relu, tanh, flatten or dense[<out>] (docs/models.md). The presets: ' +
      `${PRESET_NAMES.map((name) => `${name} = ${PRESETS[name]}`).join('; ')}. --filters1 ... --stride2 size the seed network only`,
    group: 'Model:',
  });
}

export interface ModelChoiceFlags extends ModelFlags {
  model?: string;
}

/** The network the flags ask for: the seed's (sized by its own flags) unless --model names another. */
export function modelChoiceFrom(a: ModelChoiceFlags): ModelChoice {
  const text = a.model?.trim();
  if (text === undefined || text === 'seed') return { kind: 'seed', options: modelOptionsFrom(a) };
  const seedFlag = MODEL_SETTINGS.find((setting) => a[setting] !== undefined);
  if (seedFlag !== undefined) {
    throw new SettingError(seedFlag, (name) => `${name(seedFlag)} sizes the seed network; ${name('model')} ${text} describes its own layers`);
  }
  const isJson = /\.json$/i.test(text);
  // Most likely a path (`--model <(...)` is /dev/fd/63): said so rather than 'unknown layer'.
  if (!isJson && text.includes('/')) throw new UserError(`--model ${text}: not a list of layers (they hold no '/'), and a network is read from a file only when its name ends in .json`);
  return { kind: 'stack', layers: withSource(`--model ${text}`, () => (isJson ? parseSpecJson(readJson(text)) : parseDescription(text))) };
}

/** The network for the data, or one line naming where it came from (`source`, such as --model TEXT) and what does not fit. */
export function modelForData(choice: ModelChoice, dataset: Dataset, source: string | undefined): Model {
  const shape = { input: [dataset.train.channels, dataset.train.height, dataset.train.width] as const, classes: dataset.classes };
  return source === undefined ? buildModel(choice, shape) : withSource(source, () => buildModel(choice, shape));
}

/** `body`, with a description that does not fit named by where it came from: `--model TEXT`, `--init FILE`. */
function withSource<T>(source: string, body: () => T): T {
  try {
    return body();
  } catch (e) {
    if (e instanceof ModelSpecError) throw new UserError(`${source}: ${e.message}`);
    throw e;
  }
}

function readJson(path: string): string {
  try {
    return readFileAsSync(path, 'a JSON file').toString('utf8');
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`--model ${e.message}`);
    throw e;
  }
}
