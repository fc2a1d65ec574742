// Ordering and writing of hosts for the renderers and the VNF backend logic. Pure: the VNF compares and
// sorts addresses written in different ways (`2001:DB8::1`, `2001:db8:0::1`), so everything goes through
// one canonical form (src/net/address.ts parses them) before it is compared or rendered.

import { ipv4ToNumber, isIpv4 } from '../net/address.ts';

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
