// Defaults computed from other variables (contract §3.2, §6). Pure functions of already-parsed values.

import type { HostPort, Nic, VridSource } from './config.ts';
import type { EndpointValue } from './parsers.ts';
import { ipv4ToNumber, isIpv4, numberToIpv4 } from '../net/address.ts';

/**
 * Patch releases pinned over the contract's `<version>.4`: RKE2 v1.33.5+rke2r1 is the first 1.33
 * release whose k3s carries the fix for concurrent etcd joins (k3s-io/k3s#12794).
 */
const PINNED_RKE2_RELEASES: Readonly<Record<string, string>> = { '1.33': '1.33.5' };

/** ONE_SERVICE_RKE2_RELEASE default: the patch release pinned for the appliance's minor version. */
export function defaultRke2Release(oneServiceVersion: string): string {
  return PINNED_RKE2_RELEASES[oneServiceVersion] ?? `${oneServiceVersion}.4`;
}

/** ONE_SERVICE_RKE2_VERSION default. */
export function defaultRke2Version(rke2Release: string): string {
  return `v${rke2Release}+rke2r1`;
}

/**
 * An endpoint as given, with the LB port when it names only a host; else the public VIP with the LB
 * port; else undefined (the Kubernetes roles then refuse to run).
 */
export function deriveEndpoint(given: EndpointValue | undefined, publicVip: string | undefined, lbPort: number): HostPort | undefined {
  if (given !== undefined) return { host: given.host, port: given.port ?? lbPort };
  return publicVip === undefined ? undefined : { host: publicVip, port: lbPort };
}

/**
 * The keepalived VRID: as given; else SERVICE_ID mod 255 + 1 (one VRID per OneFlow service); else
 * VMID mod 255 + 1, which only avoids clashes by luck (as the VRouter reference does); else 1.
 */
export function deriveVrid(given: number | undefined, serviceId: number | undefined, vmId: number | undefined): { vrid: number; source: VridSource } {
  if (given !== undefined) return { vrid: given, source: 'ONEAPP_VNF_KEEPALIVED_VRID' };
  if (serviceId !== undefined) return { vrid: (serviceId % 255) + 1, source: 'SERVICE_ID' };
  if (vmId !== undefined) return { vrid: (vmId % 255) + 1, source: 'VMID' };
  return { vrid: 1, source: 'fallback' };
}

/** The subnet of an address, like 10.0.0.0/24 for 10.0.0.17 with prefix length 24. */
export function subnetOf(address: string, prefixLength: number): string {
  const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  return `${numberToIpv4((ipv4ToNumber(address) & mask) >>> 0)}/${prefixLength}`;
}

/** A NO_PROXY entry for an endpoint host: an IPv4 as /32 (as the reference does), a name as is. */
function noProxyHost(host: string): string {
  return isIpv4(host) ? `${host}/32` : host;
}

/**
 * The default NO_PROXY: loopback, localhost, both endpoint hosts, the cluster and service CIDRs
 * (contract §6) and, beyond the reference, the subnet of every NIC with an IP and a mask, because
 * etcd peer traffic sent to a proxy breaks joins.
 */
export function defaultNoProxy(input: { endpoints: readonly (HostPort | undefined)[]; clusterCidr: string; serviceCidr: string; nics: readonly Nic[] }): string[] {
  const entries = ['127.0.0.0/8', 'localhost'];
  for (const endpoint of input.endpoints) if (endpoint !== undefined) entries.push(noProxyHost(endpoint.host));
  entries.push(input.clusterCidr, input.serviceCidr);
  for (const nic of input.nics) {
    if (nic.ip !== undefined && nic.prefixLength !== undefined) entries.push(subnetOf(nic.ip, nic.prefixLength));
  }
  return [...new Set(entries)];
}
