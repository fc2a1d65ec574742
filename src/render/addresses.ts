// IP address helpers for the renderers and the VNF backend logic. Pure: the VNF compares and sorts
// addresses written in different ways (`2001:DB8::1`, `2001:db8:0::1`), so everything goes through one
// canonical form before it is compared or rendered.

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

// No leading zeros: `010.0.0.1` means 8.0.0.1 to some parsers and 10.0.0.1 to others.
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

export function isIpv4(text: string): boolean {
  return IPV4.test(text);
}

export function ipv4ToNumber(address: string): number {
  return address.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
}

/** The canonical form of an IPv6 address, or undefined. Zones (`%eth0`) are refused. */
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

/** Parses an IPv4 or IPv6 address (no prefix) into its canonical form. */
export function parseIp(text: string): IpAddress | undefined {
  if (isIpv4(text)) return { family: 4, address: text };
  const v6 = canonicalIpv6(text);
  return v6 === undefined ? undefined : { family: 6, address: v6 };
}

/** Parses `address` or `address/len`. */
export function parseIpWithPrefix(text: string): IpWithPrefix | undefined {
  const slash = text.indexOf('/');
  const ip = parseIp(slash === -1 ? text : text.slice(0, slash));
  if (ip === undefined) return undefined;
  if (slash === -1) return { ...ip, prefixLength: undefined };
  const len = text.slice(slash + 1);
  const max = ip.family === 4 ? 32 : 128;
  if (!/^(?:0|[1-9]\d{0,2})$/.test(len) || Number(len) > max) return undefined;
  return { ...ip, prefixLength: Number(len) };
}

/** The address part of `address/len` in canonical form, or undefined when it is not an address. */
export function addressOf(text: string): string | undefined {
  return parseIpWithPrefix(text)?.address;
}

/** A DNS host name (RFC 1123 labels, not all-numeric at the end so it cannot pass for an IPv4). */
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

function hostRank(host: string): number {
  if (isIpv4(host)) return 0;
  return host.includes(':') ? 1 : 2;
}

function ipv6Groups(address: string): number[] {
  // Expand `::` so that addresses compare numerically, group by group.
  const [head = '', tail] = address.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * Orders canonical hosts: IPv4 numerically, then IPv6 numerically, then names alphabetically. Used
 * wherever output must not depend on the order in which VMs or variables were read.
 */
export function compareHosts(a: string, b: string): number {
  const ra = hostRank(a);
  const rb = hostRank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return ipv4ToNumber(a) - ipv4ToNumber(b);
  if (ra === 1) {
    const ga = ipv6Groups(a);
    const gb = ipv6Groups(b);
    for (let i = 0; i < 8; i += 1) {
      const d = (ga[i] ?? 0) - (gb[i] ?? 0);
      if (d !== 0) return d;
    }
    return 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `host:port`, with IPv6 in brackets as HAProxy and most tools want it. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function isPort(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= 65535;
}
