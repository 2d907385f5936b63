/**
 * The JSON form of a description (./spec.ts shows it), as the golden files and saved weights
 * carry it. Sizes may be one integer or [height, width]; the defaults are PyTorch's. The caller
 * reads the file; this reads its text.
 */
import { checkOpenDense, checkSize, layerError, type LayerPlace, ModelSpecError, shortJson } from './errors.js';
import { convSpec, type ImageShape, LAYER_TYPES, type LayerList, type ListedLayer, maxpoolSpec, type NetworkSpec, type Pair } from './spec.js';

const LAYER_KEYS: Record<string, readonly string[]> = {
  conv: ['type', 'out', 'kernel', 'stride', 'padding'],
  maxpool: ['type', 'kernel', 'stride'],
  dense: ['type', 'out'],
  relu: ['type'],
  tanh: ['type'],
  flatten: ['type'],
};
const TOP_KEYS = ['input', 'classes', 'layers'];

/** Parses a JSON description; throws ModelSpecError saying where the text or which layer is wrong. */
export function parseSpecJson(text: string): LayerList {
  // Editors on Windows may start a UTF-8 file with a byte order mark, which JSON.parse refuses.
  const bare = text.replace(/^\uFEFF/, '');
  const value = parseJsonText(bare);
  const twice = repeatedKey(bare);
  if (twice !== undefined) {
    throw new ModelSpecError(`the JSON description gives "${twice.key}" twice in one object (line ${twice.line}, column ${twice.column}); JSON keeps the last silently, so give it once`);
  }
  if (!isObject(value)) throw new ModelSpecError(`the JSON description must be an object with "layers", got ${kindOf(value)}`);
  const unknown = Object.keys(value).filter((k) => !TOP_KEYS.includes(k));
  if (unknown.length > 0) throw new ModelSpecError(`unknown key "${unknown[0]}" in the JSON description (keys: ${TOP_KEYS.join(', ')})`);
  const list = value.layers;
  if (!Array.isArray(list) || list.length === 0) throw new ModelSpecError('the JSON description needs "layers": a non-empty array of layers');
  const layers = list.map((l, i) => parseLayer(l, { layer: i + 1, text: shortJson(l) }));
  checkOpenDense(layers, (i) => shortJson(list[i]));
  const description: { -readonly [K in keyof LayerList]: LayerList[K] } = { layers };
  if (value.input !== undefined) description.input = parseInput(value.input);
  if (value.classes !== undefined) {
    const classes = checkSize(value.classes, '"classes"', 1, null);
    if (classes < 2) throw new ModelSpecError(`"classes" must be at least 2, got ${classes}`);
    description.classes = classes;
  }
  return description;
}

function parseInput(input: unknown): ImageShape {
  if (!Array.isArray(input) || input.length !== 3) {
    throw new ModelSpecError(`"input" must be [channels, height, width], got ${shortJson(input)}`);
  }
  const [c, h, w] = ['channels', 'height', 'width'].map((what, i) => checkSize(input[i], `"input" ${what}`, 1, null));
  return [c, h, w];
}

function parseLayer(layer: unknown, place: LayerPlace): ListedLayer {
  if (!isObject(layer)) throw layerError(place, `a layer must be an object with a "type", got ${kindOf(layer)}`);
  const type = layer.type;
  if (type === undefined) throw layerError(place, `a layer needs "type" (one of ${LAYER_TYPES.join(', ')})`);
  if (typeof type !== 'string' || !Object.hasOwn(LAYER_KEYS, type)) {
    throw layerError(place, `unknown layer type ${shortJson(type)} (types: ${LAYER_TYPES.join(', ')})`);
  }
  const keys = LAYER_KEYS[type];
  for (const key of Object.keys(layer)) {
    if (!keys.includes(key)) throw layerError(place, `unknown option "${key}" of ${type} (options: ${keys.slice(1).join(', ') || 'none'})`);
  }
  const pair = (key: string, min: 0 | 1, fallback?: Pair): Pair => {
    const v = layer[key];
    if (v === undefined) {
      if (fallback === undefined) throw layerError(place, `${type} needs "${key}"`);
      return fallback;
    }
    if (!Array.isArray(v)) {
      const size = checkSize(v, `"${key}"`, min, place);
      return [size, size];
    }
    if (v.length !== 2) throw layerError(place, `"${key}" must be one integer or [height, width], got ${shortJson(v)}`);
    return [checkSize(v[0], `"${key}" height`, min, place), checkSize(v[1], `"${key}" width`, min, place)];
  };
  switch (type) {
    case 'conv': {
      if (layer.out === undefined) throw layerError(place, 'conv needs "out", its output channels');
      return convSpec(checkSize(layer.out, '"out"', 1, place), pair('kernel', 1), pair('stride', 1, [1, 1]), pair('padding', 0, [0, 0]));
    }
    case 'maxpool': {
      const kernel = pair('kernel', 1);
      return maxpoolSpec(kernel, pair('stride', 1, kernel));
    }
    case 'dense':
      return layer.out === undefined ? { type: 'dense' } : { type: 'dense', out: checkSize(layer.out, '"out"', 1, place) };
    default:
      return { type: type as 'relu' | 'tanh' | 'flatten' };
  }
}

/** The description as the golden files write it: every size a [height, width] pair, padding included. */
export function specToJson(spec: NetworkSpec | LayerList): object {
  const layers = spec.layers.map((l: ListedLayer): object => {
    switch (l.type) {
      case 'conv':
        return { type: 'conv', out: l.out, kernel: [...l.kernel], stride: [...l.stride], padding: [...l.padding] };
      case 'maxpool':
        return { type: 'maxpool', kernel: [...l.kernel], stride: [...l.stride] };
      case 'dense':
        return l.out === undefined ? { type: 'dense' } : { type: 'dense', out: l.out };
      default:
        return { type: l.type };
    }
  });
  const head = spec.input === undefined ? {} : { input: [...spec.input] };
  return spec.classes === undefined ? { ...head, layers } : { ...head, classes: spec.classes, layers };
}

/** JSON.parse, with V8's message turned into one line that says where (line, column) the text goes wrong. */
function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const at = /at position (\d+)/.exec(message);
    const position = at ? Number(at[1]) : firstBadPosition(text);
    // V8 may quote the whole text after the token; the position says more, in one line.
    const what = message.replace(/ (in|after) JSON at position \d+.*$/s, '').replace(/, (\.\.\.)?".*$/s, '');
    const { line, column } = lineAndColumn(text, position);
    throw new ModelSpecError(`the JSON description does not parse at line ${line}, column ${column}: ${what}`);
  }
}

/** 1-based line and column of `position` (0-based) in `text`; the text's length is the place just past its end. */
function lineAndColumn(text: string, position: number): { line: number; column: number } {
  const before = text.slice(0, position);
  return { line: before.split('\n').length, column: position - before.lastIndexOf('\n') };
}

/**
 * The first key that an object of valid JSON text gives twice, and where: JSON.parse keeps the
 * last, so a slip ("padding" written twice) would change the network without a word, as an
 * unknown key would, which is refused.
 */
function repeatedKey(text: string): { key: string; line: number; column: number } | undefined {
  // The keys of each open object; null for an open array.
  const open: (Set<string> | null)[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{') open.push(new Set());
    else if (c === '[') open.push(null);
    else if (c === '}' || c === ']') open.pop();
    else if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      let next = end + 1;
      while (/\s/.test(text[next] ?? '')) next++;
      const keys = open[open.length - 1];
      if (text[next] === ':' && keys) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (keys.has(key)) return { key, ...lineAndColumn(text, i) };
        keys.add(key);
      }
      i = end;
    }
  }
  return undefined;
}

/**
 * Where JSON.parse gave up when its message does not say (Node 20 leaves the position out of some):
 * the shortest prefix that fails before its end, found by bisection, since every prefix of a valid
 * beginning is itself one. A prefix that fails only at its end is a valid beginning.
 */
function firstBadPosition(text: string): number {
  const validStart = (n: number): boolean => {
    try {
      JSON.parse(text.slice(0, n));
      return true;
    } catch (e) {
      const message = e instanceof Error ? e.message : '';
      const at = /at position (\d+)/.exec(message);
      return /Unexpected end/.test(message) || (at !== null && Number(at[1]) >= n);
    }
  };
  // A text that fails only at its end (empty, or cut short) goes wrong just past it.
  if (validStart(text.length)) return text.length;
  let good = 0;
  let bad = text.length;
  while (bad - good > 1) {
    const mid = (good + bad) >> 1;
    if (validStart(mid)) good = mid;
    else bad = mid;
  }
  return bad - 1;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function kindOf(v: unknown): string {
  return Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v;
}

