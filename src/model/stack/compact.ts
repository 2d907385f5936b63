/**
 * The compact form: a network on one line, shell-safe (no spaces, brackets or quotes needed).
 *
 *   conv16k8s2p3,relu,maxpool2s1,conv32k4s2,relu,maxpool2s1,flatten,dense32,relu,dense
 *
 * Grammar (layers separated by commas, spaces around them allowed):
 *
 *   layer   = "conv" count "k" pair [ "s" pair ] [ "p" pair ]   output channels, kernel, stride, padding
 *           | "maxpool" pair [ "s" pair ]                         pool size, stride
 *           | "dense" [ count ]                                   width; only the last may omit it
 *           | "relu" | "tanh" | "flatten"
 *   pair    = count [ "x" count ]                                 height x width; one number is both
 *   count   = digits
 *
 * Each number follows the letter that names it (k kernel, s stride, p padding), so `conv16k5x3`
 * cannot be read as a 16x5 kernel. The options of a layer may come in any order, each once.
 * Defaults are PyTorch's: conv stride 1, pool stride = pool size, padding 0. The printed form
 * (formatCompact) leaves defaults out, writes a square pair as one number and options as k, s, p.
 */
import { checkOpenDense, checkSize, layerError, type LayerPlace, ModelSpecError } from './errors.js';
import { convSpec, LAYER_TYPES, type LayerList, type ListedLayer, maxpoolSpec, type Pair } from './spec.js';

const OPTIONS: Record<'conv' | 'maxpool', Record<string, string>> = {
  conv: { k: 'kernel', s: 'stride', p: 'padding' },
  maxpool: { s: 'stride' },
};

/** Parses the compact form into a layer list; throws ModelSpecError naming the layer at fault. */
export function parseCompact(text: string): LayerList {
  const trimmed = text.trim();
  if (trimmed === '') throw new ModelSpecError('the description names no layers');
  const tokens = trimmed.split(/\s*,\s*|\s+/);
  const layers = tokens.map((token, i) => {
    const place = { layer: i + 1, text: token };
    if (token === '') throw layerError({ layer: i + 1, text: '' }, 'empty layer: two commas in a row, or one at an end');
    return parseLayer(token, place);
  });
  checkOpenDense(layers, (i) => tokens[i]);
  return { layers };
}

function parseLayer(token: string, place: LayerPlace): ListedLayer {
  const name = /^[a-z]*/.exec(token)![0];
  const reader = new Reader(token, name.length, place);
  switch (name) {
    case 'relu':
    case 'tanh':
    case 'flatten':
      reader.end(`${name} takes no sizes or options`);
      return { type: name };
    case 'dense': {
      if (reader.done()) return { type: 'dense' };
      const out = reader.count("dense's width", 1, 'dense32 for 32 outputs');
      reader.end('dense takes only its width, as in dense32');
      return { type: 'dense', out };
    }
    case 'conv': {
      const out = reader.count("conv's output channels", 1, 'conv16k3 for 16 channels of 3x3');
      const options = reader.options('conv');
      if (!options.k) throw layerError(place, 'conv needs a kernel size after k, as in conv16k3 or conv16k5x3');
      return convSpec(out, options.k, options.s, options.p);
    }
    case 'maxpool': {
      const kernel = reader.pair('pool size', 1, 'maxpool2 or maxpool3x2');
      const options = reader.options('maxpool');
      return maxpoolSpec(kernel, options.s);
    }
    default:
      throw layerError(place, `unknown layer '${name || token}' (layers: ${LAYER_TYPES.join(', ')})`);
  }
}

/** Reads the numbers and option letters of one layer, left to right. */
class Reader {
  constructor(
    private readonly token: string,
    private at: number,
    private readonly place: LayerPlace,
  ) {}

  done(): boolean {
    return this.at === this.token.length;
  }

  end(problem: string): void {
    if (!this.done()) throw layerError(this.place, `unexpected '${this.token.slice(this.at)}': ${problem}`);
  }

  /** A number as written, signs and fractions included, so that checkSize can say what is wrong with it. */
  private number(what: string, example: string): number {
    const match = /^[-+]?(\d+(\.\d+)?|\.\d+)/.exec(this.token.slice(this.at));
    if (!match) {
      const rest = this.token.slice(this.at);
      throw layerError(this.place, `${what} is missing${rest ? ` before '${rest}'` : ''}, as in ${example}`);
    }
    this.at += match[0].length;
    // Signs and fractions are read so that -2 and 2.5 get their own reasons; +3, 3.0 and -0 pass
    // those checks, but the grammar's sizes are digits.
    const value = Number(match[0]);
    if (!/^\d+$/.test(match[0]) && Number.isInteger(value) && value >= 0) {
      throw layerError(this.place, `${what} must be written in digits only, got '${match[0]}'`);
    }
    return value;
  }

  count(what: string, min: 0 | 1, example: string): number {
    return checkSize(this.number(what, example), what, min, this.place);
  }

  pair(what: string, min: 0 | 1, example: string): Pair {
    const first = this.number(what, example);
    if (this.token[this.at] !== 'x') {
      const size = checkSize(first, what, min, this.place);
      return [size, size];
    }
    this.at += 1;
    const second = this.number(`${what} width (after 'x')`, example);
    return [checkSize(first, `${what} height`, min, this.place), checkSize(second, `${what} width`, min, this.place)];
  }

  /** Option letters and their pairs until the end of the token, each at most once. */
  options(type: 'conv' | 'maxpool'): Partial<Record<string, Pair>> {
    const known = OPTIONS[type];
    const list = Object.entries(known)
      .map(([letter, what]) => `${letter} ${what}`)
      .join(', ');
    const found: Partial<Record<string, Pair>> = {};
    while (!this.done()) {
      const letter = this.token[this.at];
      const what = known[letter];
      if (what === undefined) {
        throw layerError(this.place, `unknown option '${this.token.slice(this.at)}' (${type} takes ${list})`);
      }
      if (found[letter]) throw layerError(this.place, `${what} (${letter}) is given twice`);
      this.at += 1;
      found[letter] = this.pair(what, letter === 'p' ? 0 : 1, `${letter}2 or ${letter}2x1`);
    }
    return found;
  }
}

const pairText = ([h, w]: Pair): string => (h === w ? `${h}` : `${h}x${w}`);
const samePair = (a: Pair, b: Pair): boolean => a[0] === b[0] && a[1] === b[1];

/** One layer in the compact form, defaults left out. */
export function formatLayer(layer: ListedLayer): string {
  switch (layer.type) {
    case 'conv': {
      const stride = samePair(layer.stride, [1, 1]) ? '' : `s${pairText(layer.stride)}`;
      const padding = samePair(layer.padding, [0, 0]) ? '' : `p${pairText(layer.padding)}`;
      return `conv${layer.out}k${pairText(layer.kernel)}${stride}${padding}`;
    }
    case 'maxpool':
      return `maxpool${pairText(layer.kernel)}${samePair(layer.stride, layer.kernel) ? '' : `s${pairText(layer.stride)}`}`;
    case 'dense':
      return layer.out === undefined ? 'dense' : `dense${layer.out}`;
    default:
      return layer.type;
  }
}

/** The layers in the compact form; parseCompact reads it back to the same layers. */
export function formatCompact(layers: readonly ListedLayer[]): string {
  return layers.map(formatLayer).join(',');
}
