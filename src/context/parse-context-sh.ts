// Reads oned's context.sh (formats.md §5.1) without executing it: sourcing would run backticks as
// root and mangle `"`, `$` and a trailing `\`.

import { ContextSyntaxError } from './context-syntax-error.ts';

/** `NAME=` at the start of a line; `export ` and leading blanks are tolerated for hand-written files. */
const ASSIGNMENT = /[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)=/y;
/** A blank line (CR counts as blank here only when the whole line is blank) or a `#` comment. */
const BLANK_OR_COMMENT = /[ \t\r]*(?:#|\n|$)/y;
/** How oned writes a quote inside a single-quoted value: close, escaped quote, reopen. */
const ESCAPED_QUOTE = "'\\''";

/**
 * Parses context.sh text into NAME → value. Lines are split on LF only, so a CR stays in the value.
 * Accepts `NAME='value'` (oned's form, may span lines, `'\''` is a quote), and for hand-written files
 * `NAME="value"` (raw up to the last `"` of a line, no expansion) and unquoted `NAME=value` (rest of
 * the line). Text after the closing quote on its line is ignored. Later duplicates win.
 * @throws ContextSyntaxError for a line that is not a comment, blank or `NAME=…`, or an unclosed quote.
 */
export function parseContextSh(text: string): Map<string, string> {
  const values = new Map<string, string>();
  let pos = 0;
  let line = 1;

  while (pos < text.length) {
    const lineEnd = endOfLine(text, pos);

    BLANK_OR_COMMENT.lastIndex = pos;
    if (BLANK_OR_COMMENT.test(text)) {
      pos = lineEnd + 1;
      line += 1;
      continue;
    }

    ASSIGNMENT.lastIndex = pos;
    const match = ASSIGNMENT.exec(text);
    if (match === null) {
      // The line's content is not shown: it may be a fragment of a secret value.
      throw new ContextSyntaxError(line, "expected NAME='value', a # comment or a blank line");
    }
    const name = match[1] as string;
    const valueStart = pos + match[0].length;

    let value: string;
    let entryLineEnd: number;
    switch (text[valueStart]) {
      case "'": {
        const quoted = readSingleQuoted(text, valueStart + 1, line, name);
        value = quoted.value;
        entryLineEnd = endOfLine(text, quoted.end);
        break;
      }
      case '"': {
        const quoted = readDoubleQuoted(text, valueStart + 1, line, name);
        value = quoted.value;
        entryLineEnd = quoted.lineEnd;
        break;
      }
      default:
        value = text.slice(valueStart, lineEnd);
        entryLineEnd = lineEnd;
    }

    values.set(name, value);
    line += countLineFeeds(text, pos, entryLineEnd) + 1;
    pos = entryLineEnd + 1;
  }
  return values;
}

/** Index of the LF that ends the line holding `from`, or the text length on the last line. */
function endOfLine(text: string, from: number): number {
  const lf = text.indexOf('\n', from);
  return lf === -1 ? text.length : lf;
}

function countLineFeeds(text: string, from: number, to: number): number {
  let count = 0;
  for (let lf = text.indexOf('\n', from); lf !== -1 && lf < to; lf = text.indexOf('\n', lf + 1)) count += 1;
  return count;
}

/** Copies up to the closing `'`, turning each `'\''` into `'`. `end` is just after the closing quote. */
function readSingleQuoted(text: string, start: number, line: number, name: string): { value: string; end: number } {
  const parts: string[] = [];
  let pos = start;
  for (;;) {
    const quote = text.indexOf("'", pos);
    if (quote === -1) throw new ContextSyntaxError(line, `the single-quoted value of ${name} is never closed`);
    parts.push(text.slice(pos, quote));
    if (text.startsWith(ESCAPED_QUOTE, quote)) {
      parts.push("'");
      pos = quote + ESCAPED_QUOTE.length;
      continue;
    }
    return { value: parts.join(''), end: quote + 1 };
  }
}

/**
 * Raw text up to the last `"` of the first line that has one; `lineEnd` is that line's end. Each line
 * is looked at once, from its start: a backward search from the line's end would run on past the line
 * to the opening quote, and an unclosed quote would cost time quadratic in the file's size.
 */
function readDoubleQuoted(text: string, start: number, line: number, name: string): { value: string; lineEnd: number } {
  let pos = start;
  for (;;) {
    const lineEnd = endOfLine(text, pos);
    const quote = lastQuoteBetween(text, pos, lineEnd);
    if (quote !== -1) return { value: text.slice(start, quote), lineEnd };
    if (lineEnd >= text.length) throw new ContextSyntaxError(line, `the double-quoted value of ${name} is never closed`);
    pos = lineEnd + 1;
  }
}

/** Index of the last `"` in text[from, to), or -1; never looks outside that span (indexOf would). */
function lastQuoteBetween(text: string, from: number, to: number): number {
  for (let index = to - 1; index >= from; index -= 1) if (text.charCodeAt(index) === 0x22) return index;
  return -1;
}
