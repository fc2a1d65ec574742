// The VNF's nftables ruleset (contract section 7): IPv4 forwarding policy and masquerade out of the
// outgoing interfaces, for the private network behind the VNF.
//
// Decisions, and why:
// - One table of our own, `ip oneke` (IPv4 only, as NAT4/ROUTER4 are): rules of other tools are never
//   touched, and IPv6 forwarding is left alone.
// - The file creates the table, deletes it and defines it again. `nft -f` applies a file as one
//   transaction, so the ruleset is replaced atomically and applying it twice gives the same state
//   (the first line makes the delete succeed even when the table does not exist yet).
// - Forwarding itself is the sysctl net.ipv4.ip_forward (see sysctl-conf.ts); the forward chain only
//   narrows it: everything when `forward` with no interface list, only the listed interfaces
//   otherwise, nothing when `forward` is false.

import { InternalError } from '../../errors.ts';
import { isIpv4 } from '../../net/address.ts';
import { assertIntegerIn, assertInterfaceName } from '../../render/names.ts';

export const NFT_FAMILY = 'ip';
export const NFT_TABLE = 'oneke';

export interface NftablesInput {
  /** Route IPv4 between interfaces (NAT4 or ROUTER4 enabled). False: the forward chain drops all. */
  readonly forward: boolean;
  /**
   * When given: only packets that enter through one of these are forwarded, and only out of these or
   * out of `masqueradeOut`; replies of accepted connections always pass. Undefined: no restriction.
   */
  readonly forwardInterfaces?: readonly string[] | undefined;
  /** Source-NAT IPv4 leaving through these to the address of the outgoing interface. */
  readonly masqueradeOut: readonly string[];
  /** Destination NAT of TCP and UDP: to `[address:]port` → `destination:destinationPort`. */
  readonly portForwards?: readonly { readonly address?: string | undefined; readonly port: number; readonly destination: string; readonly destinationPort: number }[] | undefined;
}

function interfaceSet(names: readonly string[], what: string): string {
  const unique = [...new Set(names.map((name) => assertInterfaceName(name, what)))].sort();
  return `{ ${unique.map((name) => `"${name}"`).join(', ')} }`;
}

/** The text for `nft -f`: replaces table `ip oneke` atomically. */
export function renderNftables(input: NftablesInput): string {
  if (!input.forward && input.masqueradeOut.length > 0) {
    throw new InternalError('masquerade without forwarding: nothing would ever be translated');
  }
  const restricted = input.forward && input.forwardInterfaces !== undefined;
  if (restricted && input.forwardInterfaces?.length === 0) {
    throw new InternalError('forwarding restricted to an empty list of interfaces; use forward: false instead');
  }

  const portForwards = input.portForwards ?? [];
  if (portForwards.length > 0 && !input.forward) throw new InternalError('port forwards without forwarding: nothing would reach the destination');
  const dnatRules = portForwards.map((f) => {
    if ((f.address !== undefined && !isIpv4(f.address)) || !isIpv4(f.destination)) throw new InternalError(`port forward ${JSON.stringify(f)} needs IPv4 addresses`);
    assertIntegerIn(f.port, 1, 65535, 'port forward port');
    assertIntegerIn(f.destinationPort, 1, 65535, 'port forward destination port');
    return `        ${f.address === undefined ? '' : `ip daddr ${f.address} `}meta l4proto { tcp, udp } th dport ${f.port} dnat to ${f.destination}:${f.destinationPort}`;
  });

  const forwardRules: string[] = [];
  if (restricted) {
    const from = input.forwardInterfaces ?? [];
    forwardRules.push(
      '        ct state established,related accept',
      // Port-forwarded connections arrive from anywhere: the DNAT rules chose them.
      ...(portForwards.length > 0 ? ['        ct status dnat accept'] : []),
      `        iifname ${interfaceSet(from, 'forward interface')} oifname ${interfaceSet([...from, ...input.masqueradeOut], 'forward interface')} accept`,
    );
  }
  const policy = input.forward && !restricted ? 'accept' : 'drop';

  const lines = [
    '# Written by oneke (VNF role). Local changes are overwritten.',
    `table ${NFT_FAMILY} ${NFT_TABLE}`,
    `delete table ${NFT_FAMILY} ${NFT_TABLE}`,
    `table ${NFT_FAMILY} ${NFT_TABLE} {`,
    '    chain forward {',
    `        type filter hook forward priority filter; policy ${policy};`,
    ...forwardRules,
    '    }',
  ];
  if (dnatRules.length > 0) {
    lines.push('', '    chain prerouting {', '        type nat hook prerouting priority dstnat; policy accept;', ...dnatRules, '    }');
  }
  if (input.masqueradeOut.length > 0) {
    lines.push(
      '',
      '    chain postrouting {',
      '        type nat hook postrouting priority srcnat; policy accept;',
      `        oifname ${interfaceSet(input.masqueradeOut, 'masquerade interface')} masquerade`,
      '    }',
    );
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** The text for `nft -f` that removes our table, whether it exists or not. */
export function renderNftablesRemoval(): string {
  return `table ${NFT_FAMILY} ${NFT_TABLE}\ndelete table ${NFT_FAMILY} ${NFT_TABLE}\n`;
}
