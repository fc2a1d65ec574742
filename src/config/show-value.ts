// How a value appears in an issue: quoted, on one line, short, and never a secret.

import { safeJson } from '../log/safe-text.ts';

/** The longest `shown` text for an ordinary value before it is shortened. */
export const MAX_SHOWN_LENGTH = 60;
/** Room for the quoted prefix of a shortened value; the rest is `…" (N characters)`. */
const SHORTENED_PREFIX_LENGTH = 40;

/** Number of Unicode code points: what a person would call characters. */
export function countCharacters(value: string): number {
  let count = value.length;
  for (let index = 0; index < value.length - 1; index += 1) {
    const unit = value.charCodeAt(index);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = value.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        count -= 1;
        index += 1;
      }
    }
  }
  return count;
}

/** JSON.stringify leaves DEL, C1 and invisible characters alone: escaped as everywhere else (safe-text.ts). */
export function escapeInvisible(quoted: string): string {
  return safeJson(quoted);
}

/** A secret's stand-in: its length only. */
export function hiddenValue(value: string): string {
  return `<hidden, ${countCharacters(value)} characters>`;
}

/**
 * Quotes a value for display (JSON string syntax, so control characters and binary junk are escaped and
 * the result is one line) and shortens it beyond MAX_SHOWN_LENGTH to a prefix plus the total length.
 */
export function showValue(value: string, options: { secret?: boolean } = {}): string {
  if (options.secret === true) return hiddenValue(value);
  if (value.length <= MAX_SHOWN_LENGTH) {
    const quoted = escapeInvisible(JSON.stringify(value));
    if (quoted.length <= MAX_SHOWN_LENGTH) return quoted;
  }
  let prefix = '';
  for (const character of value) {
    const escaped = escapeInvisible(JSON.stringify(character).slice(1, -1));
    if (prefix.length + escaped.length > SHORTENED_PREFIX_LENGTH) break;
    prefix += escaped;
  }
  return `"${prefix}…" (${countCharacters(value)} characters)`;
}

/**
 * Replaces the credentials of `scheme://user:password@host…` so a URL can be shown or logged. The
 * password runs to the LAST `@` of the authority-looking part, whatever it holds (spaces, `/`, `@`):
 * a malformed URL is exactly when it gets printed.
 */
export function maskUrlPassword(value: string): string {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)(.*)@([^@]*)$/s.exec(value);
  if (!match) return value;
  const [, scheme = '', credentials = '', rest = ''] = match;
  const colon = credentials.indexOf(':');
  if (colon === -1) return value; // a user name alone is no secret
  return `${scheme}${credentials.slice(0, colon)}:<hidden>@${rest}`;
}

/** The password of a URL as `maskUrlPassword` sees it, for the log scrubber; undefined without one. */
export function urlPassword(value: string): string | undefined {
  const match = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(.*)@[^@]*$/s.exec(value);
  const credentials = match?.[1];
  if (credentials === undefined) return undefined;
  const colon = credentials.indexOf(':');
  return colon === -1 ? undefined : credentials.slice(colon + 1);
}
