import { describe, expect, it } from 'vitest';
import { nodeIpv4, nodeNameOf } from '../../../../src/roles/kubernetes/node-identity.ts';
import type { Nic, VmRecord } from '../../../../src/onegate/parse.ts';

function vm(nics: Nic[]): VmRecord {
  return { id: 7, name: 'worker_0', userTemplate: {}, nics, nicAliases: [], complete: true };
}

describe('nodeIpv4', () => {
  it('takes the first NIC whose MAC and IPv4 are both on a local interface', () => {
    const self = vm([
      { ip: '10.0.0.9', mac: '02:00:0A:00:00:09' },
      { ip: '172.20.0.5', mac: '02:00:ac:14:00:05' },
    ]);
    expect(nodeIpv4(self, [{ name: 'eth1', mac: '02:00:ac:14:00:05', ipv4: ['172.20.0.5'] }])).toBe('172.20.0.5');
    expect(nodeIpv4(self, [{ name: 'eth0', mac: '02:00:0a:00:00:09', ipv4: ['10.0.0.9'] }])).toBe('10.0.0.9');
  });

  // The node name is made from this address: a value that is not a real IPv4 must never become one,
  // even when an interface reports the same text.
  it.each(['999.0.0.1', '10.0.0.256', '010.0.0.1'])('refuses %s, which is not an IPv4 address', (ip) => {
    const self = vm([{ ip, mac: '02:00:0a:00:00:01' }]);
    expect(nodeIpv4(self, [{ name: 'eth0', mac: '02:00:0a:00:00:01', ipv4: [ip] }])).toBeUndefined();
  });

  it('makes the node name from the address', () => {
    expect(nodeNameOf('10.0.0.5')).toBe('oneke-ip-10-0-0-5');
  });
});
