import { isIpv4 } from '../../net/address.ts';
import type { VmRecord } from '../../onegate/parse.ts';

export type { LocalInterface } from '../../host/host.ts';
import type { LocalInterface } from '../../host/host.ts';

/** The Kubernetes node name of a VM with this IPv4: `oneke-ip-10-0-0-5`. */
export function nodeNameOf(ipv4: string): string {
  return `oneke-ip-${ipv4.replaceAll('.', '-')}`;
}

/**
 * The VM's node address: the first IPv4 of a NIC, in OneGate's order, whose MAC and IP are both
 * present on a local interface. NICs that OpenNebula lists but the guest does not carry (EXTERNAL,
 * or not plugged yet) are passed over.
 */
export function nodeIpv4(self: VmRecord, local: readonly LocalInterface[]): string | undefined {
  for (const nic of self.nics) {
    if (!nic.ip || !nic.mac || !isIpv4(nic.ip)) continue;
    const mac = nic.mac.toLowerCase();
    if (local.some((i) => i.mac.toLowerCase() === mac && i.ipv4.includes(nic.ip as string))) return nic.ip;
  }
  return undefined;
}
