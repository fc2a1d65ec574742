import { describe, expect, it } from 'vitest';
import type { Nic } from '../../../src/config/config.ts';
import { defaultNoProxy, defaultRke2Release, defaultRke2Version, deriveEndpoint, deriveVrid, subnetOf } from '../../../src/config/derive.ts';

function nic(index: number, ip: string | undefined, prefixLength: number | undefined): Nic {
  return { name: `eth${index}`, index, ip, mac: undefined, mask: undefined, prefixLength, network: undefined, gateway: undefined, dns: [], vrouterIp: undefined, management: false, vips: [] };
}

describe('derive', () => {
  it.each([
    ['1.33', '1.33.5', 'v1.33.5+rke2r1'], // pinned over .4 for the concurrent-join fix,
    ['1.31', '1.31.4', 'v1.31.4+rke2r1'],
  ])('RKE2 defaults from ONE_SERVICE_VERSION %s', (version, release, rke2) => {
    expect(defaultRke2Release(version)).toBe(release);
    expect(defaultRke2Version(defaultRke2Release(version))).toBe(rke2);
  });

  it.each([
    { given: undefined, vip: '10.0.0.10', port: 9345, expected: { host: '10.0.0.10', port: 9345 } },
    { given: { host: 'ep0.eth0.vr', port: 9000 }, vip: '10.0.0.10', port: 9345, expected: { host: 'ep0.eth0.vr', port: 9000 } },
    { given: { host: 'k8s.example.com', port: undefined }, vip: undefined, port: 6443, expected: { host: 'k8s.example.com', port: 6443 } },
    { given: undefined, vip: undefined, port: 6443, expected: undefined },
  ])('endpoint $given with VIP $vip and LB port $port', ({ given, vip, port, expected }) => {
    expect(deriveEndpoint(given, vip, port)).toEqual(expected);
  });

  it.each([
    { given: 7, serviceId: 300, vmId: 9, expected: { vrid: 7, source: 'ONEAPP_VNF_KEEPALIVED_VRID' } },
    { given: undefined, serviceId: 0, vmId: 9, expected: { vrid: 1, source: 'SERVICE_ID' } },
    { given: undefined, serviceId: 254, vmId: 9, expected: { vrid: 255, source: 'SERVICE_ID' } },
    { given: undefined, serviceId: 255, vmId: 9, expected: { vrid: 1, source: 'SERVICE_ID' } },
    { given: undefined, serviceId: 300, vmId: 9, expected: { vrid: 46, source: 'SERVICE_ID' } },
    { given: undefined, serviceId: undefined, vmId: 509, expected: { vrid: 255, source: 'VMID' } },
    { given: undefined, serviceId: undefined, vmId: undefined, expected: { vrid: 1, source: 'fallback' } },
  ])('VRID from given $given, SERVICE_ID $serviceId, VMID $vmId', ({ given, serviceId, vmId, expected }) => {
    expect(deriveVrid(given, serviceId, vmId)).toEqual(expected);
  });

  it.each([
    ['10.0.0.17', 24, '10.0.0.0/24'],
    ['192.168.150.86', 25, '192.168.150.0/25'],
    ['192.168.150.200', 25, '192.168.150.128/25'],
    ['172.16.5.4', 12, '172.16.0.0/12'],
    ['10.1.2.3', 32, '10.1.2.3/32'],
    ['10.1.2.3', 0, '0.0.0.0/0'],
  ])('subnet of %s/%i is %s', (ip, prefixLength, subnet) => {
    expect(subnetOf(ip, prefixLength)).toBe(subnet);
  });

  it('builds NO_PROXY from loopback, endpoints, cluster networks and NIC subnets, without duplicates', () => {
    expect(
      defaultNoProxy({
        endpoints: [
          { host: '10.0.0.10', port: 6443 },
          { host: '10.0.0.10', port: 9345 },
        ],
        clusterCidr: '10.42.0.0/16',
        serviceCidr: '10.43.0.0/16',
        nics: [nic(0, '10.0.0.5', 24), nic(1, '192.168.1.5', 16), nic(2, '172.16.0.9', undefined), nic(3, undefined, 24)],
      }),
    ).toEqual(['127.0.0.0/8', 'localhost', '10.0.0.10/32', '10.42.0.0/16', '10.43.0.0/16', '10.0.0.0/24', '192.168.0.0/16']);
  });

  it('keeps a DNS endpoint host as a name and skips missing endpoints', () => {
    expect(defaultNoProxy({ endpoints: [{ host: 'ep0.eth0.vr', port: 6443 }, undefined], clusterCidr: '10.42.0.0/16', serviceCidr: '10.43.0.0/16', nics: [] })).toEqual([
      '127.0.0.0/8',
      'localhost',
      'ep0.eth0.vr',
      '10.42.0.0/16',
      '10.43.0.0/16',
    ]);
  });
});
