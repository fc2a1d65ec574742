// Kernel settings of the VNF role, as values and as a /etc/sysctl.d/ file.

import { InternalError } from '../../errors.ts';

/** Where the VNF role keeps them; `sysctl -p FILE` (or systemd-sysctl at boot) applies the file. */
export const VNF_SYSCTL_FILE = '/etc/sysctl.d/60-oneke-vnf.conf';

export interface VnfSysctlInput {
  /** IPv4 forwarding for the private network (NAT4 or ROUTER4 enabled). */
  readonly forward: boolean;
}

/**
 * ip_forward follows `forward`, and is written as 0 otherwise so a VNF that stops routing really stops.
 * ip_nonlocal_bind lets HAProxy bind a VIP that the other VNF holds, so a failover needs no restart.
 */
export function vnfSysctls(input: VnfSysctlInput): Record<string, string> {
  return {
    'net.ipv4.ip_forward': input.forward ? '1' : '0',
    'net.ipv4.ip_nonlocal_bind': '1',
  };
}

const KEY = /^[a-z0-9_]+(?:[./][A-Za-z0-9_-]+)+$/;
const VALUE = /^[A-Za-z0-9_. -]+$/;

/** `key = value` lines, sorted by key. */
export function renderSysctlConf(values: Readonly<Record<string, string>>): string {
  const lines = ['# Written by oneke (VNF role). Local changes are overwritten.'];
  for (const key of Object.keys(values).sort()) {
    const value = values[key] as string;
    if (!KEY.test(key) || !VALUE.test(value) || value.trim() !== value) {
      throw new InternalError(`sysctl ${JSON.stringify(key)} = ${JSON.stringify(value)} cannot be written to a sysctl.d file`);
    }
    lines.push(`${key} = ${value}`);
  }
  return `${lines.join('\n')}\n`;
}
