// VRouter placeholders in load balancer addresses (contract section 7): `<ETHn_IPm>` is the m-th
// address of NIC n, `<ETHn_VIPm>` its m-th VIP, `<ETHn_EPm>` its m-th endpoint, the VIP when there
// is one and the IP otherwise. They let one service template name the VNF's own addresses.

import type { Config } from './index.ts';
import { OnekeError } from '../errors.ts';
import { addressOf, parsePlaceholder } from '../net/address.ts';

/** The addresses of one NIC of the VNF. Values may carry a `/prefix`, which resolution drops. */
export interface NicAddresses {
  /** n of `ETHn`. */
  readonly index: number;
  /** `ETHn_IP` first (IP0), then aliases (IP1, …). */
  readonly ips: readonly string[];
  /** `ONEAPP_VROUTER_ETHn_VIPm` by m (`ETHn_VROUTER_IP` as VIP0 when there is no VIP0). */
  readonly vips: readonly string[];
}

/** A placeholder that names an address the VNF does not have; input from the user, so exit 2. */
export class PlaceholderError extends OnekeError {
  readonly variable: string;
  readonly value: string;

  constructor(variable: string, value: string, reason: string) {
    super('ONEKE_PLACEHOLDER_UNRESOLVED', `${variable}=${value}: ${reason}`);
    this.variable = variable;
    this.value = value;
  }
}

export type PlaceholderResult = { ok: true; value: string } | { ok: false; reason: string };

/** True when the value is written as a placeholder (known or not). */
export function looksLikePlaceholder(value: string): boolean {
  return value.includes('<') || value.includes('>');
}

/**
 * Resolves a value that is exactly one placeholder to an address (without prefix). A value with no
 * `<`/`>` is returned unchanged; anything else (a malformed placeholder, a missing NIC or address)
 * is a failure with the reason.
 */
export function tryResolvePlaceholder(value: string, nics: readonly NicAddresses[]): PlaceholderResult {
  if (!looksLikePlaceholder(value)) return { ok: true, value };
  const placeholder = parsePlaceholder(value);
  if (placeholder === undefined) return { ok: false, reason: 'expected a placeholder <ETHn_IPm>, <ETHn_VIPm> or <ETHn_EPm>' };
  const { nic: n, kind, index } = placeholder;
  const nic = nics.find((candidate) => candidate.index === n);
  if (nic === undefined) return { ok: false, reason: `the VNF has no NIC ETH${n}` };

  const ip = nic.ips[index];
  const vip = nic.vips[index];
  const raw = kind === 'IP' ? ip : kind === 'VIP' ? vip : vip !== undefined && vip !== '' ? vip : ip;
  if (raw === undefined || raw === '') {
    const missing = kind === 'IP' ? `IP${index}` : kind === 'VIP' ? `VIP${index}` : `VIP${index} nor IP${index}`;
    return { ok: false, reason: `NIC ETH${n} has no ${kind === 'EP' ? `endpoint: neither ${missing}` : missing}` };
  }
  const address = addressOf(raw);
  if (address === undefined) return { ok: false, reason: `ETH${n} ${kind}${index} is ${JSON.stringify(raw)}, not an address` };
  return { ok: true, value: address };
}

/** As tryResolvePlaceholder, but throws PlaceholderError naming `variable` when it cannot. */
export function resolvePlaceholder(value: string, nics: readonly NicAddresses[], variable: string): string {
  const result = tryResolvePlaceholder(value, nics);
  if (!result.ok) throw new PlaceholderError(variable, value, result.reason);
  return result.value;
}

/** The VNF's own addresses as the context gives them, for the placeholders and the DNS zone. */
export function nicAddresses(config: Pick<Config, 'nics'>): NicAddresses[] {
  return config.nics.map((nic) => {
    const vips: string[] = [];
    for (const vip of nic.vips) vips[vip.index] = vip.address;
    if (vips[0] === undefined && nic.vrouterIp) vips[0] = nic.vrouterIp;
    return { index: nic.index, ips: nic.ip ? [nic.ip] : [], vips: Array.from(vips, (v) => v ?? '') };
  });
}
