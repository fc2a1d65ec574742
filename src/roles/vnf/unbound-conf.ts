// unbound.conf for the VNF's DNS (contract section 7): a recursive resolver for the private network
// that also serves the cluster zone (`ep0.eth0.vr` and friends). Pure.
//
// Decisions, and why:
// - The whole file, no includes: Debian's default adds DNSSEC validation (a trust anchor that breaks
//   when the clock of a fresh VM is off) and a remote-control socket; the reference runs neither.
//   `module-config: "iterator"` says so explicitly.
// - VIPs come and go with keepalived. Listening on every address is `0.0.0.0` with
//   `interface-automatic` (answers leave from the address they were sent to, whichever appears
//   later). Listening on chosen addresses uses `ip-freebind`, so a VIP held by the other VNF can be
//   bound now and answers as soon as it arrives.
// - access-control refuses everyone first, then allows loopback and the given networks: a client
//   outside them gets REFUSED, never an answer (no open resolver on a public NIC).
// - The zone is `static`: a name of the zone that is not ours is NXDOMAIN, never forwarded.
// - With UDP off downstream, queries upstream go over TCP too (`tcp-upstream`): unbound would not
//   use UDP upstream without a UDP downstream.
// - IPv6 transport only when an address of the file is IPv6: a VNF without IPv6 must not spend its
//   upstream timeout on IPv6 root servers.

import { InternalError } from '../../errors.ts';
import { isDnsName, parseIp, parseIpWithPrefix } from '../../net/address.ts';
import { assertIntegerIn } from '../../render/names.ts';

export interface DnsAddress {
  readonly address: string;
  /** Undefined: 53. */
  readonly port?: number | undefined;
}

export interface ZoneRecord {
  /** Relative to the zone, e.g. `ep0.eth0`. */
  readonly name: string;
  readonly address: string;
}

export interface UnboundInput {
  /** `all`: every address of the VM, present or future; else these (127.0.0.1 is always added). */
  readonly listen: 'all' | readonly DnsAddress[];
  /** CIDRs of the clients that get answers; loopback always does. */
  readonly allow: readonly string[];
  /** `root`: recursion from the root servers; else forward everything to these. */
  readonly upstream: 'root' | readonly DnsAddress[];
  readonly tcp: boolean;
  readonly udp: boolean;
  readonly upstreamTimeoutMs: number;
  readonly maxCacheTtlSeconds: number;
  /** The cluster zone and its names; undefined: none. */
  readonly zone?: { readonly domain: string; readonly records: readonly ZoneRecord[] } | undefined;
}

/** Lower case only: the names go into the file as they are and must match what clients ask. */
function isName(text: string): boolean {
  return isDnsName(text) && text === text.toLowerCase();
}

function address(entry: DnsAddress, what: string): { text: string; family: 4 | 6 } {
  const ip = parseIp(entry.address);
  if (ip === undefined) throw new InternalError(`${what}: ${JSON.stringify(entry.address)} is not an IP address`);
  if (entry.port === undefined) return { text: ip.address, family: ip.family };
  return { text: `${ip.address}@${assertIntegerIn(entry.port, 1, 65535, `${what} port`)}`, family: ip.family };
}

function network(cidr: string): { text: string; family: 4 | 6 } {
  const parsed = parseIpWithPrefix(cidr);
  if (parsed === undefined) throw new InternalError(`allowed network ${JSON.stringify(cidr)} is not an address or CIDR`);
  const prefix = parsed.prefixLength ?? (parsed.family === 4 ? 32 : 128);
  return { text: `${parsed.address}/${prefix}`, family: parsed.family };
}

function isLoopback(text: string): boolean {
  return text.startsWith('127.') || text === '::1' || text.startsWith('::1@');
}

export function renderUnboundConf(input: UnboundInput): string {
  if (!input.tcp && !input.udp) throw new InternalError('unbound needs TCP or UDP');
  assertIntegerIn(input.upstreamTimeoutMs, 1, 120000, 'upstream timeout');
  assertIntegerIn(input.maxCacheTtlSeconds, 0, 604800, 'cache-max-ttl');

  const listen = input.listen === 'all' ? undefined : [{ text: '127.0.0.1', family: 4 as const }, ...input.listen.map((l) => address(l, 'listen address'))];
  const upstream = input.upstream === 'root' ? undefined : input.upstream.map((u) => address(u, 'forward address'));
  if (upstream?.length === 0) throw new InternalError('forwarding to no nameserver; use root instead');
  const allow = input.allow.map(network);
  const ipv6 = [...(listen ?? []), ...(upstream ?? [])].some((a) => a.family === 6);
  const unique = (items: readonly string[]): string[] => [...new Set(items)];

  const lines = [
    '# Written by oneke (VNF role): DNS for the cluster. Local changes are overwritten.',
    'server:',
    '    verbosity: 1',
    '    use-syslog: no',
    '    log-servfail: yes',
    '    module-config: "iterator"',
  ];
  if (listen === undefined) lines.push('    interface: 0.0.0.0', '    interface-automatic: yes');
  else lines.push(...unique(listen.map((l) => l.text)).map((l) => `    interface: ${l}`), '    ip-freebind: yes');
  lines.push(
    '    do-ip4: yes',
    `    do-ip6: ${ipv6 ? 'yes' : 'no'}`,
    `    do-udp: ${input.udp ? 'yes' : 'no'}`,
    `    do-tcp: ${input.tcp ? 'yes' : 'no'}`,
    `    tcp-upstream: ${input.udp ? 'no' : 'yes'}`,
    `    unknown-server-time-limit: ${input.upstreamTimeoutMs}`,
    '    cache-min-ttl: 0',
    `    cache-max-ttl: ${input.maxCacheTtlSeconds}`,
    '    hide-identity: yes',
    '    hide-version: yes',
    '    access-control: 0.0.0.0/0 refuse',
    '    access-control: ::0/0 refuse',
    '    access-control: 127.0.0.0/8 allow',
    '    access-control: ::1/128 allow',
    ...unique(allow.map((a) => a.text)).map((a) => `    access-control: ${a} allow`),
  );
  // unbound refuses to query 127.0.0.0/8 unless told; a local resolver (systemd-resolved) is fine.
  if (upstream?.some((u) => isLoopback(u.text))) lines.push('    do-not-query-localhost: no');

  if (input.zone !== undefined) {
    const { domain, records } = input.zone;
    if (!isName(domain)) throw new InternalError(`zone ${JSON.stringify(domain)} is not a lower-case DNS name`);
    lines.push(`    local-zone: "${domain}." static`);
    const seen = new Set<string>();
    for (const record of records) {
      const fqdn = `${record.name}.${domain}`;
      const ip = parseIp(record.address);
      if (!isName(fqdn) || ip === undefined) throw new InternalError(`zone record ${JSON.stringify(record)} is not a name and an address`);
      if (seen.has(fqdn)) throw new InternalError(`zone record ${fqdn} is listed twice`);
      seen.add(fqdn);
      lines.push(`    local-data: "${fqdn}. IN ${ip.family === 4 ? 'A' : 'AAAA'} ${ip.address}"`);
    }
  }
  lines.push('', 'remote-control:', '    control-enable: no');
  if (upstream !== undefined) {
    lines.push('', 'forward-zone:', '    name: "."', ...unique(upstream.map((u) => u.text)).map((u) => `    forward-addr: ${u}`));
  }
  return `${lines.join('\n')}\n`;
}
