import { describe, expect, test } from 'vitest';
import type { LocalInterface } from '../../../../src/host/host.ts';
import { contextMarksNode, gatewayDevice, keptNetworkActions, nodeNetworkActions, planNetworkFirst, type NetworkFacts } from '../../../../src/roles/kubernetes/network.ts';
import type { Action } from '../../../../src/plan/plan.ts';
import { configFrom } from '../../../support/cluster.ts';

// A node of the official template: one NIC on the private network 10.1.0.0/24; the first VNF's
// ETH1_IP is 10.1.0.1; the private VIP, when set, is 10.1.0.254.
const NODE: Record<string, string> = { ETH0_IP: '10.1.0.20', ETH0_MASK: '255.255.255.0', ETH0_MAC: '02:00:0a:01:00:14' };
const LOCAL: LocalInterface[] = [
  { name: 'lo', mac: '00:00:00:00:00:00', ipv4: ['127.0.0.1'] },
  { name: 'ens3', mac: '02:00:0A:01:00:14', ipv4: ['10.1.0.20'] },
];
const facts = (route?: NetworkFacts['defaultRoute']): NetworkFacts => ({ interfaces: LOCAL, defaultRoute: route });
const route = (via: string, dev = 'ens3'): Action => ({ kind: 'command', argv: ['ip', 'route', 'replace', 'default', 'via', via, 'dev', dev], why: expect.any(String) as unknown as string });
const resolv = (ns: string): Action => ({ kind: 'file', path: '/etc/resolv.conf', mode: 0o644, content: `nameserver ${ns}\n` });

describe('the network actions of a node', () => {
  test.each<[string, Record<string, string>, Action[]]>([
    [
      'private VIP set: route and DNS through it, FALLBACK_* ignored',
      { ONEAPP_VROUTER_ETH1_VIP0: '10.1.0.254', FALLBACK_GW: '10.1.0.1', FALLBACK_DNS: '10.1.0.1' },
      [route('10.1.0.254'), resolv('10.1.0.254')],
    ],
    ['no VIP, FALLBACK_* (the official template without VIPs)', { FALLBACK_GW: '10.1.0.1', FALLBACK_DNS: '10.1.0.1' }, [route('10.1.0.1'), resolv('10.1.0.1')]],
    ['FALLBACK_GW only: a route, no nameserver to write', { FALLBACK_GW: '10.1.0.1' }, [route('10.1.0.1')]],
    ['FALLBACK_DNS only: a nameserver, the route left alone', { FALLBACK_DNS: '10.1.0.2' }, [resolv('10.1.0.2')]],
    ['DNS disabled: the route only', { FALLBACK_GW: '10.1.0.1', FALLBACK_DNS: '10.1.0.1', ONEAPP_VNF_DNS_ENABLED: 'NO' }, [route('10.1.0.1')]],
    ['VIP with DNS disabled', { ONEAPP_VROUTER_ETH1_VIP0: '10.1.0.254/24', ONEAPP_VNF_DNS_ENABLED: 'NO' }, [route('10.1.0.254')]],
    ['nothing set: nothing to do', {}, []],
  ])('%s', (_name, vars, expected) => {
    expect(nodeNetworkActions(configFrom({ ...NODE, ...vars }), facts())).toEqual(expected);
  });

  test('a default route that is right already is left alone, a wrong one replaced; resolv.conf is always asserted', () => {
    const config = configFrom({ ...NODE, FALLBACK_GW: '10.1.0.1', FALLBACK_DNS: '10.1.0.1' });
    expect(nodeNetworkActions(config, facts({ gateway: '10.1.0.1', dev: 'ens3' }))).toEqual([resolv('10.1.0.1')]);
    expect(nodeNetworkActions(config, facts({ gateway: '192.168.1.1', dev: 'ens3' }))).toEqual([route('10.1.0.1'), resolv('10.1.0.1')]);
    expect(nodeNetworkActions(config, facts({ gateway: '10.1.0.1', dev: 'eth9' }))).toEqual([route('10.1.0.1'), resolv('10.1.0.1')]);
    // What is kept while waiting does not depend on the route seen once.
    expect(keptNetworkActions(config, LOCAL)).toEqual([route('10.1.0.1'), resolv('10.1.0.1')]);
  });
});

describe('the device of the default route', () => {
  const twoNics = { ...NODE, ETH1_IP: '172.16.5.9', ETH1_MASK: '255.255.0.0', ETH1_MAC: '02:00:ac:10:05:09' };
  const local: LocalInterface[] = [...LOCAL, { name: 'ens4', mac: '02:00:ac:10:05:09', ipv4: ['172.16.5.9'] }];

  test.each<[string, Record<string, string>, LocalInterface[], string, string]>([
    ['the NIC whose subnet holds the gateway, by its MAC', twoNics, local, '172.16.0.1', 'ens4'],
    ['the first NIC for its own subnet', twoNics, local, '10.1.0.1', 'ens3'],
    ['by IP when the MAC differs', { ...NODE, ETH0_MAC: '02:00:00:00:00:99' }, LOCAL, '10.1.0.1', 'ens3'],
    ['the context name when no local interface matches', NODE, [], '10.1.0.1', 'eth0'],
    ['eth0 when no NIC of the context is on that subnet', NODE, LOCAL, '192.168.9.1', 'eth0'],
    ['eth0 when the context has no NIC at all', {}, LOCAL, '10.1.0.1', 'eth0'],
  ])('%s', (_name, vars, interfaces, gateway, expected) => {
    expect(gatewayDevice(configFrom(vars), interfaces, gateway)).toBe(expected);
  });
});

describe('whether the context marks a node before OneGate answers', () => {
  test.each<[string, Record<string, string>, LocalInterface[], boolean]>([
    ['a node of the official template (FALLBACK_* = the VNF private IP)', { FALLBACK_GW: '10.1.0.1', FALLBACK_DNS: '10.1.0.1' }, LOCAL, true],
    ['a node with VIPs and FALLBACK_*', { ONEAPP_VROUTER_ETH1_VIP0: '10.1.0.254', FALLBACK_GW: '10.1.0.1' }, LOCAL, true],
    ['VIPs only: the role decides after OneGate', { ONEAPP_VROUTER_ETH1_VIP0: '10.1.0.254' }, LOCAL, false],
    ['a VM that carries the gateway itself is the VNF', { FALLBACK_GW: '10.1.0.20', FALLBACK_DNS: '10.1.0.20' }, LOCAL, false],
    ['a VNF holding the private VIP', { ONEAPP_VROUTER_ETH1_VIP0: '10.1.0.254', FALLBACK_GW: '10.1.0.1' }, [...LOCAL, { name: 'ens3:vip', mac: '', ipv4: ['10.1.0.254'] }], false],
    ['nothing set', {}, LOCAL, false],
  ])('%s', (_name, vars, interfaces, expected) => {
    expect(contextMarksNode(configFrom(vars), interfaces)).toBe(expected);
  });
});

test('the network-first plan says what it sets and why', () => {
  const plan = planNetworkFirst(configFrom({ ...NODE, FALLBACK_GW: '10.1.0.1', FALLBACK_DNS: '10.1.0.1' }), facts());
  expect(plan.decision.reason).toBe('network first, to reach OneGate through the VNF: default route via 10.1.0.1, nameserver 10.1.0.1');
  expect(plan.actions).toEqual([route('10.1.0.1'), resolv('10.1.0.1')]);
});
