import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../../../src/config/index.ts';
import { renderUnboundConf } from '../../../../src/roles/vnf/unbound-conf.ts';
import { dnsAllowedNetworks, dnsListenAddresses, dnsUpstream, resolvConfNameservers, zoneRecords } from '../../../../src/roles/vnf/dns.ts';
import { configFrom } from '../../../support/cluster.ts';
import { VNF_CONTEXT } from '../../../support/vnf-context.ts';

describe('zone names', () => {
  test.each([
    ['IP and VIP: ep is the VIP', [{ index: 0, ips: ['10.0.0.5'], vips: ['10.0.0.1'] }], ['ip0.eth0 10.0.0.5', 'vip0.eth0 10.0.0.1', 'ep0.eth0 10.0.0.1']],
    ['IP only: ep is the IP', [{ index: 1, ips: ['172.20.0.5'], vips: [] }], ['ip0.eth1 172.20.0.5', 'ep0.eth1 172.20.0.5']],
    ['a VIP1 without VIP0: ep0 the IP, ep1 the VIP', [{ index: 0, ips: ['10.0.0.5'], vips: ['', '10.0.0.9'] }], ['ip0.eth0 10.0.0.5', 'ep0.eth0 10.0.0.5', 'vip1.eth0 10.0.0.9', 'ep1.eth0 10.0.0.9']],
    ['a NIC with only a VIP', [{ index: 2, ips: [], vips: ['10.2.0.1'] }], ['vip0.eth2 10.2.0.1', 'ep0.eth2 10.2.0.1']],
    [
      'NICs in index order',
      [
        { index: 3, ips: ['10.3.0.1'], vips: [] },
        { index: 0, ips: ['10.0.0.1'], vips: [] },
      ],
      ['ip0.eth0 10.0.0.1', 'ep0.eth0 10.0.0.1', 'ip0.eth3 10.3.0.1', 'ep0.eth3 10.3.0.1'],
    ],
  ])('%s', (_name, nics, expected) => {
    expect(zoneRecords(nics).map((r) => `${r.name} ${r.address}`)).toEqual(expected);
  });
});

describe('DNS variables', () => {
  const issue = (vars: Record<string, string>) => {
    const result = parseConfig(new Map(Object.entries({ ...VNF_CONTEXT, ...vars })));
    return result.ok ? undefined : result.issues.map((i) => i.variable);
  };

  test.each([
    ['ONEAPP_VNF_DNS_NAMESERVERS', '1.1.1.1,8.8.8.8', true],
    ['ONEAPP_VNF_DNS_NAMESERVERS', '10.0.0.53@5353; 2001:db8::53', true],
    ['ONEAPP_VNF_DNS_NAMESERVERS', 'dns.example.com', false],
    ['ONEAPP_VNF_DNS_NAMESERVERS', '1.1.1.1@0', false],
    ['ONEAPP_VNF_DNS_INTERFACES', 'eth1', true],
    ['ONEAPP_VNF_DNS_INTERFACES', 'eth1@5353 172.20.0.100 10.0.0.1@53', true],
    ['ONEAPP_VNF_DNS_INTERFACES', 'eth9', false],
    ['ONEAPP_VNF_DNS_INTERFACES', 'lo;rm', false],
    ['ONEAPP_VNF_DNS_INTERFACES', 'eth1@70000', false],
    ['ONEAPP_VNF_DNS_ALLOWED_NETWORKS', '10.0.0.0/8 172.16.0.0/12', true],
    ['ONEAPP_VNF_DNS_ALLOWED_NETWORKS', 'everyone', false],
    ['ONEAPP_VNF_DNS_CLUSTER_DOMAIN', 'vr', true],
    ['ONEAPP_VNF_DNS_CLUSTER_DOMAIN', 'k8s.example.', true],
    ['ONEAPP_VNF_DNS_CLUSTER_DOMAIN', 'bad domain', false],
    ['ONEAPP_VNF_DNS_CLUSTER_DOMAIN', 'a"b', false],
    ['ONEAPP_VNF_DNS_CLUSTER_DOMAIN', 'cluster.123', false],
    ['ONEAPP_VNF_DNS_UPSTREAM_TIMEOUT', '1128', true],
    ['ONEAPP_VNF_DNS_UPSTREAM_TIMEOUT', '0', false],
    ['ONEAPP_VNF_DNS_UPSTREAM_TIMEOUT', '1.5', false],
    ['ONEAPP_VNF_DNS_MAX_CACHE_TTL', '0', true],
    ['ONEAPP_VNF_DNS_MAX_CACHE_TTL', '9999999', false],
    ['ONEAPP_VNF_DNS_TCP_DISABLED', 'maybe', false],
  ])('%s=%s valid: %s', (name, value, valid) => {
    expect(issue({ [name]: value })).toEqual(valid ? undefined : [name]);
  });

  test('TCP and UDP both disabled is refused, naming UDP_DISABLED', () => {
    expect(issue({ ONEAPP_VNF_DNS_TCP_DISABLED: 'YES', ONEAPP_VNF_DNS_UDP_DISABLED: 'YES' })).toEqual(['ONEAPP_VNF_DNS_UDP_DISABLED']);
    expect(issue({ ONEAPP_VNF_DNS_TCP_DISABLED: 'YES', ONEAPP_VNF_DNS_UDP_DISABLED: 'YES', ONEAPP_VNF_DNS_ENABLED: 'NO' })).toBeUndefined();
  });
});

describe('where unbound listens, whom it answers, where it forwards', () => {
  test('a NIC name is its IP and VIPs, with the port; an address stays as given', () => {
    const config = configFrom({ ...VNF_CONTEXT, ONEAPP_VROUTER_ETH1_VIP1: '172.20.0.87', ONEAPP_VNF_DNS_INTERFACES: 'eth1@5353,10.9.9.9' });
    expect(dnsListenAddresses(config)).toEqual([
      { address: '172.20.0.100', port: 5353 },
      { address: '172.20.0.86', port: 5353 },
      { address: '172.20.0.87', port: 5353 },
      { address: '10.9.9.9', port: undefined },
    ]);
    expect(dnsListenAddresses(configFrom(VNF_CONTEXT))).toBe('all');
  });

  test('allowed networks default to the subnets of the NICs and VIPs, management NICs left out', () => {
    expect(dnsAllowedNetworks(configFrom({ ...VNF_CONTEXT, ONEAPP_VROUTER_ETH1_VIP1: '10.5.0.1/16' }))).toEqual(['192.168.150.0/24', '172.20.0.0/24', '10.5.0.0/16']);
    expect(dnsAllowedNetworks(configFrom({ ...VNF_CONTEXT, ETH0_VROUTER_MANAGEMENT: 'YES' }))).toEqual(['172.20.0.0/24']);
  });

  test.each([
    ['nameservers win over the root servers', { ONEAPP_VNF_DNS_NAMESERVERS: '10.1.1.1', ONEAPP_VNF_DNS_USE_ROOTSERVERS: 'YES' }, [], [{ address: '10.1.1.1', port: undefined }]],
    ['root servers by default', {}, ['10.2.2.2'], 'root'],
    [
      'own resolvers: ETHn_DNS then resolv.conf, not itself',
      { ONEAPP_VNF_DNS_USE_ROOTSERVERS: 'NO', ETH1_DNS: '172.20.0.86 10.3.3.3' },
      ['10.3.3.3', '127.0.0.1', '10.4.4.4'],
      [{ address: '10.3.3.3' }, { address: '10.4.4.4' }],
    ],
    ['no resolver of its own: the root servers', { ONEAPP_VNF_DNS_USE_ROOTSERVERS: 'NO' }, ['172.20.0.100'], 'root'],
  ])('%s', (_name, vars, resolvConf, expected) => {
    expect(dnsUpstream(configFrom({ ...VNF_CONTEXT, ...vars }), resolvConf).upstream).toEqual(expected);
  });

  test('resolv.conf: nameserver lines only, addresses only', () => {
    expect(resolvConfNameservers('# c\nsearch x\nnameserver 10.0.0.2\nnameserver  2001:DB8::1 \nnameserver bad;rm\noptions ndots:5\n')).toEqual(['10.0.0.2', '2001:db8::1']);
  });
});

describe('renderUnboundConf', () => {
  const base = { listen: 'all' as const, allow: [], upstream: 'root' as const, tcp: true, udp: true, upstreamTimeoutMs: 1128, maxCacheTtlSeconds: 3600 };

  test('refuses input no valid file could hold', () => {
    expect(() => renderUnboundConf({ ...base, tcp: false, udp: false })).toThrow(/TCP or UDP/);
    expect(() => renderUnboundConf({ ...base, zone: { domain: 'vr', records: [{ name: 'x"y', address: '10.0.0.1' }] } })).toThrow(/zone record/);
    expect(() => renderUnboundConf({ ...base, listen: [{ address: 'eth0' }] })).toThrow(/not an IP/);
    expect(() => renderUnboundConf({ ...base, upstream: [] })).toThrow(/no nameserver/);
  });

  test('a loopback forwarder is allowed explicitly; IPv6 transport only with an IPv6 address', () => {
    const text = renderUnboundConf({ ...base, upstream: [{ address: '127.0.0.53' }] });
    expect(text).toContain('do-not-query-localhost: no');
    expect(text).toContain('do-ip6: no');
    expect(renderUnboundConf({ ...base, upstream: [{ address: '2001:db8::53', port: 5353 }] })).toMatch(/do-ip6: yes[\s\S]*forward-addr: 2001:db8::53@5353/);
  });

  test('allowed networks are written as networks', () => {
    expect(renderUnboundConf({ ...base, allow: ['10.0.0.7/24', '10.9.9.9'] })).toMatch(/access-control: 10\.0\.0\.7\/24 allow\n\s+access-control: 10\.9\.9\.9\/32 allow/);
  });
});
