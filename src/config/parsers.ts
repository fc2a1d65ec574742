// Small pure parsers: a raw context string in, a typed value or what was expected out. They never
// throw on bad input; parse-config turns a rejection into a ConfigIssue naming the variable.

import { keepalivedTextProblem } from '../render/keepalived-conf.ts';
import { isMap, isScalar, parseAllDocuments } from 'yaml';
import { ipv4ToNumber, isDnsName, isIpv4, isIpv6, isIpv6Cidr, isPlaceholder, parseIpv4Cidr, parseIpv4WithPrefix, parsePort } from '../net/address.ts';

// The add-on modules take these from here; the address module is their home.
export { ipv4ToNumber, isIpv4, isIpv6 } from '../net/address.ts';

export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly expected: string };

export interface ValueParser<T> {
  /** What a valid value looks like; the `expected` of an issue unless the parser says more. */
  readonly expected: string;
  readonly parse: (raw: string) => ParseResult<T>;
}

export type CniName = 'cilium' | 'canal' | 'calico';
export const CNI_NAMES: readonly CniName[] = ['cilium', 'canal', 'calico'];

/** Longhorn supports ext4 and XFS for its data path; nothing else is offered. */
export type Filesystem = 'xfs' | 'ext4';
export const FILESYSTEMS: readonly Filesystem[] = ['xfs', 'ext4'];

/** An IPv4 address with an optional prefix length, as the VRouter writes VIPs (`10.0.0.1/24`). */
export interface AddressWithPrefix {
  readonly address: string;
  readonly prefixLength: number | undefined;
}

/** `host:port`; the port is absent when the value gave only a host (the caller supplies the LB port). */
export interface EndpointValue {
  readonly host: string;
  readonly port: number | undefined;
}

/** An inclusive IPv4 range; a single address has `first === last`. */
export interface AddressRange {
  readonly first: string;
  readonly last: string;
}

/** Interfaces a service works on: every interface but `exclude`, or only `include` minus `exclude`. */
export interface InterfaceSelection {
  readonly include: 'all' | readonly string[];
  readonly exclude: readonly string[];
}

export interface Netmask {
  readonly mask: string;
  readonly prefixLength: number;
}

function accept<T>(value: T): ParseResult<T> {
  return { ok: true, value };
}

function reject<T>(expected: string): ParseResult<T> {
  return { ok: false, expected };
}

/** Builds a parser whose `parse` returns the value, or `undefined` to reject with `expected`. */
function simple<T>(expected: string, parse: (raw: string) => T | undefined): ValueParser<T> {
  return {
    expected,
    parse: (raw) => {
      const value = parse(raw);
      return value === undefined ? reject(expected) : accept(value);
    },
  };
}

/** Splits a list on commas and/or whitespace, dropping empty items (a trailing comma is harmless). */
function splitList(raw: string, separators: RegExp = /[\s,]+/): string[] {
  return raw.split(separators).filter((item) => item !== '');
}

/** Any of these in a value would break a generated config file or a header line. */
const CONTROL_OR_SPACE = /[\s\x00-\x1f\x7f]/;

// ---- numbers --------------------------------------------------------------------------------------

/** Digits only, no sign and no leading zeros (so `010` is never octal to anyone). */
function integerIn(min: number, max: number): (raw: string) => number | undefined {
  return (raw) => {
    if (!/^(?:0|[1-9]\d{0,15})$/.test(raw)) return undefined;
    const value = Number(raw);
    return value >= min && value <= max ? value : undefined;
  };
}

export const nonNegativeInteger = simple('a non-negative integer (digits only)', integerIn(0, Number.MAX_SAFE_INTEGER));
export const port = simple('a TCP port 1-65535 (digits only)', parsePort);
export const vrid = simple('a VRRP router id 1-255', integerIn(1, 255));
/** 255 is the address owner's priority in VRRP; our instances start as BACKUP, so it is excluded. */
export const priority = simple('a VRRP priority 1-254', integerIn(1, 254));
export const refreshRate = simple('a whole number of seconds 1-86400', integerIn(1, 86400));
/** unbound's unknown-server-time-limit: how long to wait for an upstream nameserver that has no timing yet. */
export const upstreamTimeout = simple('a whole number of milliseconds 1-120000', integerIn(1, 120000));
/** unbound's cache-max-ttl. */
export const cacheTtl = simple('a whole number of seconds 0-604800', integerIn(0, 604800));
export const waitTimeout = simple('a whole number of seconds 30-86400', integerIn(30, 86400));

/** keepalived's advert_int: seconds, fractional down to centiseconds (VRRPv3), at most 255. */
export const advertInterval = simple('a number of seconds above 0 and at most 255, at most two decimals (e.g. 1 or 0.5)', (raw) => {
  if (!/^\d{1,3}(?:\.\d{1,2})?$/.test(raw)) return undefined;
  const value = Number(raw);
  return value > 0 && value <= 255 ? value : undefined;
});

/**
 * The contract's rule (§3.1, "Beyond"): `YES`, `TRUE` or `1` is true and `NO`, `FALSE` or `0` is false,
 * in any case; anything else is rejected, so a typo never silently turns a feature off. (An empty value
 * never gets here: it means the default.)
 */
export const boolean = simple('YES or NO (also TRUE/FALSE or 1/0, any case)', (raw) => (/^(?:yes|true|1)$/i.test(raw) ? true : /^(?:no|false|0)$/i.test(raw) ? false : undefined));

// ---- addresses ------------------------------------------------------------------------------------

export const ipv4 = simple('an IPv4 address like 10.0.0.1', (raw) => (isIpv4(raw) ? raw : undefined));

export const ipv4WithPrefix = simple<AddressWithPrefix>('an IPv4 address, optionally with a prefix length (10.0.0.1 or 10.0.0.1/24)', parseIpv4WithPrefix);

/**
 * A VIP: a unicast host address. Not 0.0.0.0/the broadcast, loopback, multicast, a /0, nor the
 * network or broadcast address of its own prefix (keepalived would add it, and nothing could use it).
 */
export const vipAddress = simple<AddressWithPrefix>(
  'a unicast IPv4 host address, optionally with a prefix length 1-32 (10.0.0.1 or 10.0.0.1/24); not a network, broadcast, loopback or multicast address',
  (raw) => {
    const parsed = ipv4WithPrefix.parse(raw);
    if (!parsed.ok) return undefined;
    const { address, prefixLength } = parsed.value;
    const value = ipv4ToNumber(address);
    const first = value >>> 24;
    if (value === 0 || value === 0xffffffff || first === 0 || first === 127 || first >= 224 || prefixLength === 0) return undefined;
    if (prefixLength !== undefined && prefixLength < 31) {
      const hostBits = 2 ** (32 - prefixLength) - 1;
      const host = value % (hostBits + 1);
      if (host === 0 || host === hostBits) return undefined;
    }
    return parsed.value;
  },
);

/** Where a load balancer binds: an IPv4 or a placeholder the VNF resolves. */
export const lbAddress = simple('an IPv4 address or a placeholder like <ETH0_EP0>', (raw) => (isIpv4(raw) || isPlaceholder(raw) ? raw : undefined));

export const serverHost = simple('an IPv4 address, a DNS name or a placeholder like <ETH1_IP0>', (raw) => (isIpv4(raw) || isDnsName(raw) || isPlaceholder(raw) ? raw : undefined));

export const macAddress = simple('a MAC address like 02:00:0a:00:00:02', (raw) => (/^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$/.test(raw) ? raw.toLowerCase() : undefined));

export const netmask = simple<Netmask>('a dotted IPv4 netmask like 255.255.255.0', (raw) => {
  if (!isIpv4(raw)) return undefined;
  const inverted = ~ipv4ToNumber(raw) >>> 0;
  // Contiguous ones: the inverted mask is 2^k - 1.
  if ((inverted & (inverted + 1)) !== 0) return undefined;
  return { mask: raw, prefixLength: 32 - Math.log2(inverted + 1) };
});

export const nameservers = simple('IPv4 or IPv6 addresses separated by spaces or commas', (raw) => {
  const items = splitList(raw);
  return items.length > 0 && items.every((item) => isIpv4(item) || isIpv6(item)) ? items : undefined;
});

/** An address with an optional `@port`, as unbound writes its listen and forward addresses. */
function addressAtPort(raw: string): { address: string; port: number | undefined } | undefined {
  const at = raw.lastIndexOf('@');
  const address = at === -1 ? raw : raw.slice(0, at);
  if (!isIpv4(address) && !isIpv6(address)) return undefined;
  if (at === -1) return { address, port: undefined };
  const port = parsePort(raw.slice(at + 1));
  return port === undefined ? undefined : { address, port };
}

export interface DnsServer {
  readonly address: string;
  /** Undefined: 53. */
  readonly port: number | undefined;
}

/** Upstream nameservers of the VNF's DNS: addresses, each optionally `@port`. */
export const dnsForwarders = simple<readonly DnsServer[]>('IPv4 or IPv6 addresses (optionally addr@port) separated by spaces, commas or semicolons', (raw) => {
  const items = splitList(raw, /[\s,;]+/).map(addressAtPort);
  return items.length > 0 && items.every((item) => item !== undefined) ? (items as DnsServer[]) : undefined;
});

/** Where the VNF's DNS listens: a NIC name (its addresses and VIPs), an address, either with `@port`. */
export interface DnsListen {
  readonly nic: string | undefined;
  readonly address: string | undefined;
  readonly port: number | undefined;
}

export const dnsListen = simple<readonly DnsListen[]>('NIC names (eth1), addresses or addr@port, separated by spaces or commas', (raw) => {
  const items: DnsListen[] = [];
  for (const item of splitList(raw, /[\s,;]+/)) {
    const asAddress = addressAtPort(item);
    if (asAddress !== undefined) {
      items.push({ nic: undefined, ...asAddress });
      continue;
    }
    const m = /^(eth(?:0|[1-9]\d{0,3}))(?:@(\d{1,5}))?$/.exec(item);
    const port = m?.[2] === undefined ? undefined : parsePort(m[2]);
    if (m === null || (m[2] !== undefined && port === undefined)) return undefined;
    items.push({ nic: m[1], address: undefined, port });
  }
  return items.length > 0 ? items : undefined;
});

/** A DNS zone name such as `vr` or `cluster.example` (a trailing dot is dropped); lower case. */
export const dnsDomain = simple('a DNS domain like vr or cluster.example (letters, digits, - and .; not all digits at the end)', (raw) => {
  const name = raw.endsWith('.') ? raw.slice(0, -1) : raw;
  // At most 200 characters: the zone's names (`vip12.eth3.<domain>`) must stay within 253.
  return name.length <= 200 && isDnsName(name) ? name.toLowerCase() : undefined;
});

/** `ONEAPP_VNF_NAT4_PORT_FWD<n>`: `[addr:]port:dest[:dport]`; addresses may be placeholders. */
export interface PortForward {
  /** Where the packets arrive; undefined: any address of the VNF. */
  readonly address: string | undefined;
  readonly port: number;
  readonly destination: string;
  /** Undefined: the same port. */
  readonly destinationPort: number | undefined;
}

export const portForward = simple<PortForward>('[addr:]port:dest[:dport] with IPv4 addresses or placeholders like <ETH0_EP0> and ports 1-65535 (e.g. <ETH0_EP0>:2222:10.0.0.5:22)', (raw) => {
  const parts = raw.split(':');
  const isAddress = (text: string): boolean => isIpv4(text) || isPlaceholder(text);
  let address: string | undefined;
  let rest: string[];
  if (parts.length === 4 || (parts.length === 3 && !/^\d+$/.test(parts[0] ?? ''))) [address, ...rest] = parts;
  else rest = parts;
  if (rest.length < 2 || rest.length > 3 || (address !== undefined && !isAddress(address))) return undefined;
  const [portText = '', destination = '', destinationPortText] = rest;
  const port = parsePort(portText);
  const destinationPort = destinationPortText === undefined ? undefined : parsePort(destinationPortText);
  if (port === undefined || !isAddress(destination) || (destinationPortText !== undefined && destinationPort === undefined)) return undefined;
  return { address, port, destination, destinationPort };
});

// ---- networks -------------------------------------------------------------------------------------

/** Host bits may be set (10.42.0.1/16), as Go's net.ParseCIDR and so RKE2 accept. */
export const ipv4Cidr = simple('an IPv4 CIDR like 10.42.0.0/16', (raw) => (parseIpv4Cidr(raw) === undefined ? undefined : raw));

/** Cilium LB pools may be IPv6, so both families are allowed here. */
export const cidrList = simple('IPv4 or IPv6 CIDRs separated by commas, like 10.11.12.0/24', (raw) => {
  const items = splitList(raw);
  return items.length > 0 && items.every((item) => parseIpv4Cidr(item) !== undefined || isIpv6Cidr(item)) ? items : undefined;
});

/** MetalLB ranges: `A-B` (spaces around `-` allowed, A <= B) or one address; several separated by commas. */
export const addressRanges: ValueParser<readonly AddressRange[]> = {
  expected: 'IPv4 ranges like 10.0.0.100-10.0.0.150 or single addresses, separated by commas',
  parse: (raw) => {
    const ranges: AddressRange[] = [];
    for (const item of splitList(raw, /\s*,\s*/)) {
      const [first = '', last = first, extra] = item.split(/\s*-\s*/);
      if (extra !== undefined || !isIpv4(first) || !isIpv4(last)) return reject(addressRanges.expected);
      if (ipv4ToNumber(first) > ipv4ToNumber(last)) return reject(`a range whose first address is not above its last (${first} > ${last})`);
      ranges.push({ first, last });
    }
    return ranges.length > 0 ? accept(ranges) : reject(addressRanges.expected);
  },
};

// ---- hosts and endpoints --------------------------------------------------------------------------

/** `host:port` or just `host`, where host is an IPv4 or a DNS name (the published template uses `ep0.eth0.vr:9345`). */
export const endpoint = simple<EndpointValue>('host:port with an IPv4 address or DNS name and a port 1-65535', (raw) => {
  const colon = raw.lastIndexOf(':');
  const host = colon === -1 ? raw : raw.slice(0, colon);
  if (!isIpv4(host) && !isDnsName(host)) return undefined;
  if (colon === -1) return { host, port: undefined };
  const value = parsePort(raw.slice(colon + 1));
  return value === undefined ? undefined : { host, port: value };
});

/** Certificate SANs: IPv4, IPv6, DNS names, and wildcard names like `*.apps.example.com`. */
export const sanList = simple('IP addresses or DNS names separated by commas', (raw) => {
  const items = splitList(raw, /\s*,\s*/);
  const valid = (item: string): boolean => isIpv4(item) || isIpv6(item) || isDnsName(item.startsWith('*.') ? item.slice(2) : item);
  return items.length > 0 && items.every(valid) ? items : undefined;
});

/** What Go's and curl's NO_PROXY understand: `*`, IPs, CIDRs, (`.`/`*.`)domains, optionally `:port`. */
export const noProxyList = simple('comma-separated hosts, domains (.example.com), IPs or CIDRs', (raw) => {
  const items = splitList(raw, /\s*,\s*/);
  const domain = /^(?:\*?\.)?[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*(?::\d{1,5})?$/;
  const valid = (item: string): boolean => item === '*' || isIpv4(item) || isIpv6(item) || parseIpv4Cidr(item) !== undefined || isIpv6Cidr(item) || (item.length <= 260 && domain.test(item));
  return items.length > 0 && items.every(valid) ? items : undefined;
});

function httpUrl(raw: string, allowCredentials: boolean): string | undefined {
  if (raw.length > 2048 || CONTROL_OR_SPACE.test(raw) || !/^https?:\/\//i.test(raw)) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.hostname === '' || url.search !== '' || url.hash !== '') return undefined;
  if (!allowCredentials && (url.username !== '' || url.password !== '')) return undefined;
  return raw;
}

export const onegateUrl = simple('an http:// or https:// URL like http://169.254.16.9:5030', (raw) => httpUrl(raw, false));
export const proxyUrl = simple('an http:// or https:// proxy URL like http://proxy.example.com:3128', (raw) => httpUrl(raw, true));

// ---- names and paths ------------------------------------------------------------------------------

export const cniName = simple(`one of ${CNI_NAMES.join(', ')}`, (raw) => CNI_NAMES.find((name) => name === raw.toLowerCase()));
export const filesystem = simple(`one of ${FILESYSTEMS.join(', ')}`, (raw) => FILESYSTEMS.find((name) => name === raw.toLowerCase()));

/** Linux interface names (at most 15 characters); `!eth1` excludes; `all` alone means every interface. */
export const interfaces = simple<InterfaceSelection>('all, or interface names like eth0 eth1 (or eth0,eth1); !eth2 excludes one', (raw) => {
  const include: string[] = [];
  const exclude: string[] = [];
  let all = false;
  for (const item of splitList(raw, /[\s,;]+/)) {
    const excluded = item.startsWith('!');
    const name = excluded ? item.slice(1) : item;
    if (!excluded && name.toLowerCase() === 'all') {
      all = true;
      continue;
    }
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name)) return undefined;
    (excluded ? exclude : include).push(name);
  }
  if (include.length === 0 && exclude.length === 0 && !all) return undefined;
  return { include: all || include.length === 0 ? 'all' : include, exclude };
});

/** Versions and chart versions: they end up in file names and URLs, so a plain token. */
export const version = simple('a version like 1.33 or v1.33.4+rke2r1 (letters, digits, . _ + -)', (raw) => (/^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/.test(raw) ? raw : undefined));

/** A Kubernetes label-style key, what a Service's loadBalancerClass must be. */
export const loadBalancerClass = simple('a label-style name like metallb or example.com/internal-vip', (raw) => {
  const [prefix, name = '', extra] = raw.includes('/') ? raw.split('/') : [undefined, raw];
  if (extra !== undefined) return undefined;
  if (prefix !== undefined && (prefix.toLowerCase() !== prefix || !isDnsName(prefix))) return undefined;
  return /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/.test(name) ? raw : undefined;
});

function isCleanAbsolutePath(raw: string): boolean {
  if (raw.length > 4095 || !raw.startsWith('/') || CONTROL_OR_SPACE.test(raw)) return false;
  return raw
    .slice(1)
    .split('/')
    .every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/**
 * Folders a fresh disk must never be mounted over (it would hide the system, or what RKE2 keeps), nor
 * over any of their parents (`/var/lib` hides `/var/lib/rancher`).
 */
export const SYSTEM_PATHS: readonly string[] = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/home',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/opt',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/srv',
  '/sys',
  '/tmp',
  '/usr',
  '/usr/local',
  '/var',
  '/var/backups',
  '/var/cache',
  '/var/lib',
  '/var/lib/apt',
  '/var/lib/dpkg',
  '/var/lib/kubelet',
  '/var/lib/rancher',
  '/var/lib/systemd',
  '/var/log',
  '/var/mail',
  '/var/run',
  '/var/spool',
  '/var/tmp',
];
/** Trees in which nothing may be a mount point: virtual or volatile filesystems and the system's own. */
export const SYSTEM_TREES: readonly string[] = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/proc',
  '/run',
  '/sbin',
  '/sys',
  '/tmp',
  '/usr',
  '/var/lib/kubelet',
  '/var/lib/rancher',
  '/var/log',
  '/var/run',
  '/var/tmp',
];

/** Why a clean absolute path may not be a mount point of the storage disk, or undefined. */
function systemPathProblem(mount: string): string | undefined {
  const within = (parent: string, child: string): boolean => parent === '/' || child.startsWith(`${parent}/`);
  if (mount === '/') return 'the root folder';
  const hidden = SYSTEM_PATHS.find((system) => system === mount || within(mount, system));
  if (hidden !== undefined) return hidden === mount ? `the system folder ${mount}` : `a parent of the system folder ${hidden}`;
  const tree = SYSTEM_TREES.find((system) => within(system, mount));
  return tree === undefined ? undefined : `inside ${tree}`;
}

/** An absolute, normalised path (it goes into /etc/fstab, so no spaces), not a system folder. */
export const mountPoint: ValueParser<string> = {
  expected: 'an absolute path like /var/lib/longhorn (no spaces, no . or .. parts)',
  parse: (raw) => {
    if (!isCleanAbsolutePath(raw) && raw !== '/') return reject(mountPoint.expected);
    const problem = systemPathProblem(raw);
    return problem === undefined ? accept(raw) : reject(`a folder of its own like /var/lib/longhorn, not ${problem} (the disk would hide what is there)`);
  },
};

export const devicePath = simple('a device path under /dev, like /dev/vdb or /dev/disk/by-id/…', (raw) =>
  raw.startsWith('/dev/') && isCleanAbsolutePath(raw) && /^[A-Za-z0-9/._:+@-]+$/.test(raw) ? raw : undefined,
);

// ---- secrets and encoded values -------------------------------------------------------------------

/**
 * VRRP PASS authentication keeps 8 characters. Printable ASCII only, without space, quotes, `\`, and
 * `#` or `!`, which start a comment in keepalived.conf.
 */
export const keepalivedPassword = simple('1 to 8 printable ASCII characters without spaces that keepalived.conf can hold: no ", no trailing \\, no $_NAME or ${…}, not just { or }', (raw) =>
  /^[\x21-\x7e]{1,8}$/.test(raw) && keepalivedTextProblem(raw) === undefined ? raw : undefined,
);

/**
 * The OneGate token goes into an HTTP header: printable ASCII without spaces, at most 4096 characters.
 * A header cannot carry other characters, so anything else would only fail later, looking like a
 * OneGate that cannot be reached.
 */
export const token = simple('printable ASCII without spaces or control characters (it is sent in an HTTP header), at most 4096 characters', (raw) =>
  /^[\x21-\x7e]{1,4096}$/.test(raw) ? raw : undefined,
);

const BASE64_YAML = 'base64 of YAML manifests (one or more YAML mappings)';
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Strict base64 (standard alphabet; line breaks allowed; padding optional but only at the end) that
 * decodes to UTF-8 YAML whose documents are mappings (Kubernetes objects). Returns the decoded text.
 */
export const base64Yaml: ValueParser<string> = {
  expected: BASE64_YAML,
  parse: (raw) => {
    const compact = raw.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact) || compact.length % 4 === 1 || (compact.includes('=') && compact.length % 4 !== 0)) {
      return reject(`${BASE64_YAML}; the value is not base64`);
    }
    let text: string;
    try {
      text = utf8.decode(Buffer.from(compact, 'base64'));
    } catch {
      return reject(`${BASE64_YAML}; it decodes to binary, not UTF-8 text`);
    }
    // An empty stream is an empty array too: it is caught below as "no YAML document".
    const list = [...parseAllDocuments(text)];
    for (const document of list) {
      const [error] = document.errors;
      // Where, not what: the parser's message may quote the text, and these values are secrets.
      if (error !== undefined) return reject(`${BASE64_YAML}; YAML error ${error.code}${yamlPosition(error.linePos?.[0])}`);
    }
    // A document of only comments has a null scalar as contents: it is empty, not a value.
    const contents = list.map((document) => document.contents).filter((content) => content !== null && !(isScalar(content) && content.value === null));
    if (contents.length === 0) return reject(`${BASE64_YAML}; it decodes to no YAML document`);
    if (!contents.every((content) => isMap(content))) return reject(`${BASE64_YAML}; a document is not a mapping`);
    return accept(text);
  },
};

function yamlPosition(position: { line: number; col: number } | undefined): string {
  return position === undefined ? '' : ` at line ${position.line}, column ${position.col} of the decoded text`;
}
