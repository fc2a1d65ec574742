// The one escaping of outside text (OneGate bodies, values peers publish, processes' output, file
// contents) at the places where it is printed or written for people: the console, /etc/motd, the
// status record, the JSON log. A terminal then never receives an escape sequence, a bell, a carriage
// return or a line break that the text brought along, nor characters that hide or reorder text.

/**
 * Characters that are invisible or move things around: DEL and C1 controls (0x9b is a CSI on some
 * terminals), soft hyphen, zero-width and bidi controls, line/paragraph separators, BOM.
 */
export const INVISIBLE_SOURCE = '\\u007f-\\u009f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb';

const UNSAFE = new RegExp(`[\\u0000-\\u001f${INVISIBLE_SOURCE}]`, 'g');
const UNSAFE_KEEPING_LINES = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f${INVISIBLE_SOURCE}]`, 'g');
const INVISIBLE = new RegExp(`[${INVISIBLE_SOURCE}]`, 'g');

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e' };

/** `\uXXXX`, the form JSON also understands. */
export function unicodeEscape(character: string): string {
  return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

function escapeOne(character: string): string {
  return NAMED[character] ?? (character.charCodeAt(0) < 0x100 ? `\\x${character.charCodeAt(0).toString(16).padStart(2, '0')}` : unicodeEscape(character));
}

/**
 * Outside text made safe for a terminal or a text file: control and invisible characters become
 * visible escapes (`\e`, `\r`, `\n`, `\x07`, `\u202e`). With `keepLines`, LF and TAB stay (a plan's
 * file contents are meant to be several lines).
 */
export function safeText(text: string, options: { keepLines?: boolean } = {}): string {
  return text.replace(options.keepLines === true ? UNSAFE_KEEPING_LINES : UNSAFE, escapeOne);
}

/**
 * JSON text (from JSON.stringify, which escapes only C0 controls) with the invisible characters
 * escaped too: still the same JSON value, and harmless when a person `cat`s the file.
 */
export function safeJson(json: string): string {
  return json.replace(INVISIBLE, unicodeEscape);
}
