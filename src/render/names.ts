// Names that the renderers put into configuration files unquoted. The inputs are validated upstream;
// these checks only make sure a bug there can never turn into a broken or misparsed file.

import { InternalError } from '../errors.ts';

/**
 * A Linux interface name that is also safe unquoted in keepalived.conf, haproxy.cfg and nft. The
 * kernel allows more (any byte but `/`, `:` and white space), but OpenNebula names NICs `eth<n>`, and
 * characters such as `#`, `{` or `"` mean something to the config parsers.
 */
const INTERFACE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;

/** An instance, group or script name: letters, digits, `_`, `.` and `-`. */
const IDENTIFIER = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

export function isInterfaceName(name: string): boolean {
  return INTERFACE.test(name) && name !== '.' && name !== '..';
}

export function assertInterfaceName(name: string, what: string): string {
  if (!isInterfaceName(name)) throw new InternalError(`${what}: ${JSON.stringify(name)} is not a usable interface name`);
  return name;
}

export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

export function assertIdentifier(name: string, what: string): string {
  if (!isIdentifier(name)) throw new InternalError(`${what}: ${JSON.stringify(name)} is not a name made of letters, digits, _ . -`);
  return name;
}

export function assertIntegerIn(value: number, min: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InternalError(`${what}: ${String(value)} is not an integer from ${min} to ${max}`);
  }
  return value;
}
