// The VNF's DNS server as data (contract section 7): where it listens, whom it answers, where it
// forwards, and the cluster zone of `ip<m>.eth<n>`, `vip<m>.eth<n>` and `ep<m>.eth<n>` names. Pure; the
// renderer is unbound-conf.ts.

import type { Config } from '../../config/index.ts';
import { subnetOf } from '../../config/index.ts';
import { isIpv4, parseIp } from '../../net/address.ts';
import { compareHosts } from '../../render/addresses.ts';
import type { DnsAddress, UnboundInput, ZoneRecord } from './unbound-conf.ts';
import { nicAddresses, type NicAddresses } from '../../config/placeholders.ts';

/**
 * Every name of the zone: for NIC n, `ip<m>.eth<n>` per address, `vip<m>.eth<n>` per VIP, and
 * `ep<m>.eth<n>` = the VIP when there is one, else the address. Ordered by NIC, then m, then kind.
 */
export function zoneRecords(nics: readonly NicAddresses[]): ZoneRecord[] {
  const records: ZoneRecord[] = [];
  for (const nic of [...nics].sort((a, b) => a.index - b.index)) {
    const count = Math.max(nic.ips.length, nic.vips.length);
    for (let m = 0; m < count; m += 1) {
      const ip = nic.ips[m];
      const vip = nic.vips[m];
      if (ip) records.push({ name: `ip${m}.eth${nic.index}`, address: ip });
      if (vip) records.push({ name: `vip${m}.eth${nic.index}`, address: vip });
      const ep = vip || ip;
      if (ep) records.push({ name: `ep${m}.eth${nic.index}`, address: ep });
    }
  }
  return records;
}

/** Where the DNS listens: every address, or each listed address and each listed NIC's IP and VIPs. */
export function dnsListenAddresses(config: Config): 'all' | DnsAddress[] {
  const entries = config.dns.interfaces;
  if (entries === undefined) return 'all';
  const addresses: DnsAddress[] = [];
  const nics = nicAddresses(config);
  for (const entry of entries) {
    if (entry.address !== undefined) {
      addresses.push({ address: entry.address, port: entry.port });
      continue;
    }
    const nic = nics.find((n) => `eth${n.index}` === entry.nic);
    for (const address of [...(nic?.ips ?? []), ...(nic?.vips ?? [])]) if (address) addresses.push({ address, port: entry.port });
  }
  return addresses;
}

/** The networks the DNS answers: as given, else the subnet of every non-management NIC and VIP. */
export function dnsAllowedNetworks(config: Config): string[] {
  if (config.dns.allowedNetworks !== undefined) return [...config.dns.allowedNetworks];
  const subnets: string[] = [];
  for (const nic of config.nics) {
    if (nic.management) continue;
    if (nic.ip !== undefined && nic.prefixLength !== undefined) subnets.push(subnetOf(nic.ip, nic.prefixLength));
    for (const vip of nic.vips) {
      const prefix = vip.prefixLength ?? nic.prefixLength;
      if (prefix !== undefined && isIpv4(vip.address)) subnets.push(subnetOf(vip.address, prefix));
    }
  }
  return [...new Set(subnets)];
}

/** Nameserver lines of a resolv.conf (bounded: the first 64 KiB, the first 16 servers). */
export function resolvConfNameservers(text: string): string[] {
  const servers: string[] = [];
  for (const line of text.slice(0, 65536).split('\n')) {
    const m = /^\s*nameserver\s+(\S+)\s*$/.exec(line);
    const ip = m?.[1] === undefined ? undefined : parseIp(m[1]);
    if (ip !== undefined && servers.length < 16) servers.push(ip.address);
  }
  return servers;
}

export interface DnsUpstream {
  readonly upstream: UnboundInput['upstream'];
  /** In words, for the plan. */
  readonly why: string;
}

/**
 * Where queries that are not for the zone go: ONEAPP_VNF_DNS_NAMESERVERS; else the root servers
 * with USE_ROOTSERVERS; else the VNF's own resolvers (ETHn_DNS, then /etc/resolv.conf) minus its own
 * addresses (forwarding to itself would loop); else the root servers after all.
 */
export function dnsUpstream(config: Config, resolvConf: readonly string[]): DnsUpstream {
  if (config.dns.nameservers.length > 0) return { upstream: config.dns.nameservers, why: 'forwarding to ONEAPP_VNF_DNS_NAMESERVERS' };
  if (config.dns.useRootServers) return { upstream: 'root', why: 'recursion from the root servers' };
  const own = new Set(['127.0.0.1', '::1', ...nicAddresses(config).flatMap((n) => [...n.ips, ...n.vips])].filter((a) => a !== ''));
  const candidates = [...config.nics.flatMap((n) => n.dns), ...resolvConf].map((a) => parseIp(a)?.address).filter((a): a is string => a !== undefined && !own.has(a));
  const servers = [...new Set(candidates)];
  if (servers.length === 0) return { upstream: 'root', why: 'recursion from the root servers (the VNF has no resolver of its own)' };
  return { upstream: servers.map((address) => ({ address })), why: `forwarding to the VNF's resolvers ${servers.join(' ')}` };
}

/** Everything unbound needs, from the config and the VNF's /etc/resolv.conf nameservers. */
export function unboundInput(config: Config, resolvConf: readonly string[]): { input: UnboundInput; why: string } {
  const { upstream, why } = dnsUpstream(config, resolvConf);
  const listen = dnsListenAddresses(config);
  return {
    input: {
      listen: listen === 'all' ? 'all' : [...listen].sort((a, b) => compareHosts(a.address, b.address) || (a.port ?? 53) - (b.port ?? 53)),
      allow: dnsAllowedNetworks(config),
      upstream,
      tcp: config.dns.tcp,
      udp: config.dns.udp,
      upstreamTimeoutMs: config.dns.upstreamTimeoutMs,
      maxCacheTtlSeconds: config.dns.maxCacheTtlSeconds,
      zone: { domain: config.dns.clusterDomain, records: zoneRecords(nicAddresses(config)) },
    },
    why,
  };
}
