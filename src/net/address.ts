// The one parser of network addresses: IPv4 and IPv6 (with their canonical forms), prefix lengths and
// CIDRs, ports, DNS host names and the VRouter placeholders `<ETHn_IPm>`. Pure. Every module that
// checks or compares an address goes through here, so a value accepted in one place is accepted in all
// (the context parsers, the VNF's renderers, the node identity, the cleaner's node names).

export type IpFamily = 4 | 6;

export interface IpAddress {
  readonly family: IpFamily;
  /** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, `::` compressed). */
  readonly address: string;
}

export interface IpWithPrefix extends IpAddress {
  /** Undefined when the text had no `/len`. */
  readonly prefixLength: number | undefined;
}

// ---- IPv4 -----------------------------------------------------------------------------------------

// No leading zeros: `010.0.0.1` means 8.0.0.1 to inet_aton and 10.0.0.1 to others.
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);

/** Strict dotted quad: four decimal octets 0-255, no leading zeros. */
export function isIpv4(text: string): boolean {
  return text.length <= 15 && IPV4.test(text);
}

export function ipv4ToNumber(address: string): number {
  return address.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
}

export function numberToIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

// ---- IPv6 -----------------------------------------------------------------------------------------

/**
 * The canonical form of an IPv6 address (RFC 4291 text, optionally with a trailing dotted quad), or
 * undefined. Zones (`%eth0`) are refused.
 */
export function canonicalIpv6(text: string): string | undefined {
  // Only hex digits, colons and dots (an embedded IPv4) may reach the URL parser.
  if (!/^[0-9A-Fa-f:.]{2,45}$/.test(text) || !text.includes(':')) return undefined;
  try {
    // The WHATWG URL parser implements RFC 5952 serialisation; it is pure and always available.
    const host = new URL(`http://[${text}]/`).hostname;
    return host.slice(1, -1);
  } catch {
    return undefined;
  }
}

export function isIpv6(text: string): boolean {
  return canonicalIpv6(text) !== undefined;
}

// ---- either family, prefixes, CIDRs ---------------------------------------------------------------

/** Parses an IPv4 or IPv6 address (no prefix) into its canonical form. */
export function parseIp(text: string): IpAddress | undefined {
  if (isIpv4(text)) return { family: 4, address: text };
  const v6 = canonicalIpv6(text);
  return v6 === undefined ? undefined : { family: 6, address: v6 };
}

/** A prefix length 0..max written in digits without leading zeros, or undefined. */
export function parsePrefixLength(text: string, max: number): number | undefined {
  if (!/^(?:0|[1-9]\d{0,2})$/.test(text)) return undefined;
  const value = Number(text);
  return value <= max ? value : undefined;
}

/** Parses `address` or `address/len`. */
export function parseIpWithPrefix(text: string): IpWithPrefix | undefined {
  const slash = text.indexOf('/');
  const ip = parseIp(slash === -1 ? text : text.slice(0, slash));
  if (ip === undefined) return undefined;
  if (slash === -1) return { ...ip, prefixLength: undefined };
  const prefixLength = parsePrefixLength(text.slice(slash + 1), ip.family === 4 ? 32 : 128);
  return prefixLength === undefined ? undefined : { ...ip, prefixLength };
}

/** The address part of `address/len` in canonical form, or undefined when it is not an address. */
export function addressOf(text: string): string | undefined {
  return parseIpWithPrefix(text)?.address;
}

/** An IPv4 address with an optional prefix length (`10.0.0.1`, `10.0.0.1/24`), as written. */
export function parseIpv4WithPrefix(text: string): { address: string; prefixLength: number | undefined } | undefined {
  const [address = '', prefix, extra] = text.split('/');
  if (extra !== undefined || !isIpv4(address)) return undefined;
  if (prefix === undefined) return { address, prefixLength: undefined };
  const prefixLength = parsePrefixLength(prefix, 32);
  return prefixLength === undefined ? undefined : { address, prefixLength };
}

/** An IPv4 CIDR; host bits may be set (10.42.0.1/16), as Go's net.ParseCIDR and so RKE2 accept. */
export function parseIpv4Cidr(text: string): { address: string; prefixLength: number } | undefined {
  const parsed = parseIpv4WithPrefix(text);
  return parsed?.prefixLength === undefined ? undefined : { address: parsed.address, prefixLength: parsed.prefixLength };
}

export function isIpv6Cidr(text: string): boolean {
  const [address = '', prefix, extra] = text.split('/');
  return extra === undefined && prefix !== undefined && isIpv6(address) && parsePrefixLength(prefix, 128) !== undefined;
}

// ---- ports ----------------------------------------------------------------------------------------

export function isPort(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= 65535;
}

/** A TCP/UDP port 1-65535 written in digits without leading zeros, or undefined. */
export function parsePort(text: string): number | undefined {
  if (!/^[1-9]\d{0,4}$/.test(text)) return undefined;
  const value = Number(text);
  return isPort(value) ? value : undefined;
}

// ---- DNS names ------------------------------------------------------------------------------------

const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** An RFC 1123 host name. The last label may not be all digits, so `10.0.0.256` is not a name either. */
export function isDnsName(text: string): boolean {
  if (text.length === 0 || text.length > 253) return false;
  const labels = text.split('.');
  return labels.every((label) => DNS_LABEL.test(label)) && !/^\d+$/.test(labels[labels.length - 1] as string);
}

/**
 * A backend host as it will be rendered: a canonical IP, or a DNS name in lower case. Undefined for
 * anything else.
 */
export function canonicalHost(text: string): string | undefined {
  const ip = parseIp(text);
  if (ip !== undefined) return ip.address;
  return isDnsName(text) ? text.toLowerCase() : undefined;
}

// ---- VRouter placeholders -------------------------------------------------------------------------

export type PlaceholderKind = 'IP' | 'VIP' | 'EP';

/** `<ETHn_IPm>`: the m-th address (`IP`), VIP (`VIP`) or endpoint (`EP`) of NIC n. */
export interface Placeholder {
  readonly nic: number;
  readonly kind: PlaceholderKind;
  readonly index: number;
}

/** Both indices are 0-99, as the NIC and VIP indices of variable names are (INDEX_BOUNDS). */
const PLACEHOLDER = /^<ETH(0|[1-9]\d?)_(IP|VIP|EP)(0|[1-9]\d?)>$/;

/** A value that is exactly one placeholder, or undefined. */
export function parsePlaceholder(text: string): Placeholder | undefined {
  const m = PLACEHOLDER.exec(text);
  return m === null ? undefined : { nic: Number(m[1]), kind: m[2] as PlaceholderKind, index: Number(m[3]) };
}

export function isPlaceholder(text: string): boolean {
  return PLACEHOLDER.test(text);
}
