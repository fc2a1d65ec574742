// dnsmasq as the DNS forwarder of the cluster's private network: the nodes' only nameserver is the
// private VIP (contract section 6), so the VNF that holds it must answer there. Pure.

import { InternalError } from '../errors.ts';
import { parseIp } from './addresses.ts';

export interface DnsmasqInput {
  /** Addresses to answer on (the private VIP); may be held by the other VNF, hence bind-dynamic. */
  listen: readonly string[];
  /** Upstream nameservers; none: the VNF's own /etc/resolv.conf. */
  upstream: readonly string[];
}

export function renderDnsmasqConf(input: DnsmasqInput): string {
  if (input.listen.length === 0) throw new InternalError('dnsmasq needs an address to listen on');
  for (const address of [...input.listen, ...input.upstream]) {
    if (!parseIp(address)) throw new InternalError(`not an IP address for dnsmasq: ${JSON.stringify(address)}`);
  }
  const lines = [
    '# Written by oneke: DNS for the cluster\'s private network.',
    // Binds each address when it appears, so the backup VNF serves as soon as it takes the VIP.
    'bind-dynamic',
    ...input.listen.map((a) => `listen-address=${a}`),
    'no-dhcp-interface=',
    'domain-needed',
    'bogus-priv',
    'cache-size=1000',
    ...(input.upstream.length > 0 ? ['no-resolv', ...input.upstream.map((a) => `server=${a}`)] : []),
  ];
  return `${lines.join('\n')}\n`;
}
