// A small reader for OpenNebula's template syntax, enough for the appliance's VM templates:
//
//   # a comment to the end of the line
//   NAME = "value"                       single attribute; a value may span lines, \" is a quote
//   NAME = value                         unquoted word
//   DISK = [ IMAGE = "x", SIZE = "10" ]  vector attribute; commas (or line breaks) between pairs
//
// Attribute names are case-insensitive in OpenNebula; they are returned in upper case. A name may
// repeat (several DISK), so the result is the list of attributes in file order.

export type OneAttribute = { readonly name: string; readonly kind: 'single'; readonly value: string } | { readonly name: string; readonly kind: 'vector'; readonly pairs: ReadonlyMap<string, string> };

export class OneTemplateSyntaxError extends Error {
  constructor(message: string, text: string, offset: number) {
    const line = text.slice(0, offset).split('\n').length;
    super(`${message} at line ${line}`);
  }
}

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const WORD = /[^\s,\]["#=]+/y;

export function parseOneTemplate(text: string): OneAttribute[] {
  let at = 0;
  const fail = (message: string): never => {
    throw new OneTemplateSyntaxError(message, text, at);
  };

  /** Skips blanks and comments; with `newlines` false, stops at a line break. */
  const skip = (newlines: boolean): void => {
    for (;;) {
      const c = text[at];
      if (c === ' ' || c === '\t' || c === '\r' || (newlines && c === '\n')) at += 1;
      else if (c === '#') while (at < text.length && text[at] !== '\n') at += 1;
      else return;
    }
  };

  const name = (): string => {
    NAME.lastIndex = at;
    const match = NAME.exec(text);
    if (!match) fail(`expected an attribute name, found ${JSON.stringify(text.slice(at, at + 12))}`);
    at = NAME.lastIndex;
    return (match as RegExpExecArray)[0].toUpperCase();
  };

  const expect = (char: string): void => {
    if (text[at] !== char) fail(`expected ${JSON.stringify(char)}, found ${JSON.stringify(text[at] ?? 'end of text')}`);
    at += 1;
  };

  const scalar = (): string => {
    if (text[at] === '"') {
      at += 1;
      let value = '';
      for (;;) {
        const c = text[at];
        if (c === undefined) fail('unterminated string');
        if (c === '"') break;
        if (c === '\\' && (text[at + 1] === '"' || text[at + 1] === '\\')) {
          value += text[at + 1];
          at += 2;
          continue;
        }
        value += c;
        at += 1;
      }
      at += 1;
      return value;
    }
    WORD.lastIndex = at;
    const match = WORD.exec(text);
    if (!match) fail('expected a value');
    at = WORD.lastIndex;
    return (match as RegExpExecArray)[0];
  };

  const vector = (): Map<string, string> => {
    const pairs = new Map<string, string>();
    expect('[');
    skip(true);
    while (text[at] !== ']') {
      const key = name();
      skip(false);
      expect('=');
      skip(false);
      if (pairs.has(key)) fail(`${key} given twice in one vector`);
      pairs.set(key, scalar());
      skip(true);
      if (text[at] === ',') {
        at += 1;
        skip(true);
      } else if (text[at] !== ']') fail('expected "," or "]" after a vector value');
    }
    at += 1;
    return pairs;
  };

  const attributes: OneAttribute[] = [];
  skip(true);
  while (at < text.length) {
    const attribute = name();
    skip(false);
    expect('=');
    skip(false);
    if (text[at] === '[') attributes.push({ name: attribute, kind: 'vector', pairs: vector() });
    else attributes.push({ name: attribute, kind: 'single', value: scalar() });
    skip(false);
    if (at < text.length && text[at] !== '\n') fail('expected the end of the line after a value');
    skip(true);
  }
  return attributes;
}

/** The value of a single attribute that must appear exactly once. */
export function single(template: readonly OneAttribute[], name: string): string {
  const found = template.filter((a) => a.name === name);
  const only = found[0];
  if (found.length !== 1 || only?.kind !== 'single') throw new Error(`expected one single attribute ${name}, found ${found.length}`);
  return only.value;
}

/** Every vector attribute of that name, in file order. */
export function vectors(template: readonly OneAttribute[], name: string): ReadonlyMap<string, string>[] {
  return template.flatMap((a) => (a.name === name ? (a.kind === 'vector' ? [a.pairs] : [new Map()]) : []));
}

/** The one vector of that name (CONTEXT, USER_INPUTS). */
export function vector(template: readonly OneAttribute[], name: string): ReadonlyMap<string, string> {
  const found = template.filter((a) => a.name === name);
  const only = found[0];
  if (found.length !== 1 || only?.kind !== 'vector') throw new Error(`expected one vector attribute ${name}, found ${found.length}`);
  return only.pairs;
}
