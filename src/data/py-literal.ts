export type PyValue = string | number | boolean | null | PyValue[] | Map<string, PyValue>;

/**
 * The header is a Python dict literal. A regex would accept a structured dtype's list as garbage
 * and miss Python 2's `28L`, so this reads the small literal grammar numpy writes: dicts, tuples,
 * lists, quoted strings, integers, True/False/None.
 */
export function parsePyLiteral(text: string): PyValue {
  let pos = 0;
  const skip = () => {
    while (pos < text.length && /\s/.test(text[pos])) pos++;
  };
  const error = (what: string): never => {
    throw new Error(`${what} at character ${pos}`);
  };
  const value = (): PyValue => {
    skip();
    const ch = text[pos];
    if (ch === '{') {
      pos++;
      const map = new Map<string, PyValue>();
      for (;;) {
        skip();
        if (text[pos] === '}') break;
        const key = value();
        if (typeof key !== 'string') error('dictionary key is not a string');
        skip();
        if (text[pos++] !== ':') error("expected ':'");
        map.set(key as string, value());
        skip();
        if (text[pos] === ',') pos++;
        else if (text[pos] !== '}') error("expected ',' or '}'");
      }
      pos++;
      return map;
    }
    if (ch === '(' || ch === '[') {
      const close = ch === '(' ? ')' : ']';
      pos++;
      const items: PyValue[] = [];
      for (;;) {
        skip();
        if (text[pos] === close) break;
        items.push(value());
        skip();
        if (text[pos] === ',') pos++;
        else if (text[pos] !== close) error(`expected ',' or '${close}'`);
      }
      pos++;
      return items;
    }
    if (ch === "'" || ch === '"') {
      const end = text.indexOf(ch, pos + 1);
      if (end < 0) error('unterminated string');
      const s = text.slice(pos + 1, end);
      pos = end + 1;
      return s;
    }
    const word = /^(?:-?\d+L?|True|False|None)/.exec(text.slice(pos, pos + 32));
    if (!word) return error('unexpected input');
    pos += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    return Number(word[0].replace('L', ''));
  };
  const result = value();
  skip();
  if (pos !== text.length) error('trailing characters');
  return result;
}
