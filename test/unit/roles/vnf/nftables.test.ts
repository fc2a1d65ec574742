import { describe, expect, test } from 'vitest';
import { InternalError } from '../../../../src/errors.ts';
import { type NftablesInput, renderNftables, renderNftablesRemoval } from '../../../../src/roles/vnf/nftables.ts';
import { renderSysctlConf, vnfSysctls } from '../../../../src/roles/vnf/sysctl-conf.ts';

describe('renderNftables', () => {
  test('NAT4: forward everything, masquerade out of eth0', async () => {
    const text = renderNftables({ forward: true, masqueradeOut: ['eth0'] });
    await expect(text).toMatchFileSnapshot('./__snapshots__/nftables-nat.nft');
    // Create, delete, define: one transaction that replaces the table whether it existed or not.
    expect(text.split('\n').slice(1, 4)).toEqual(['table ip oneke', 'delete table ip oneke', 'table ip oneke {']);
    expect(text).toContain('type filter hook forward priority filter; policy accept;');
    expect(text).toContain('type nat hook postrouting priority srcnat; policy accept;');
    expect(text).toContain('oifname { "eth0" } masquerade');
  });

  test('ROUTER4 restricted to interfaces: drop by default, replies and listed interfaces pass', async () => {
    const text = renderNftables({ forward: true, forwardInterfaces: ['eth2', 'eth1', 'eth1'], masqueradeOut: ['eth0'] });
    await expect(text).toMatchFileSnapshot('./__snapshots__/nftables-restricted.nft');
    expect(text).toContain('policy drop;');
    expect(text).toContain('ct state established,related accept');
    expect(text).toContain('iifname { "eth1", "eth2" } oifname { "eth0", "eth1", "eth2" } accept');
  });

  test('no forwarding: a forward chain that drops everything, no NAT chain', () => {
    const text = renderNftables({ forward: false, masqueradeOut: [] });
    expect(text).toContain('policy drop;');
    expect(text).not.toContain('postrouting');
    expect(text).not.toContain('accept\n');
  });

  test('the same input renders the same text, whatever the order of interfaces', () => {
    const a = renderNftables({ forward: true, forwardInterfaces: ['eth1', 'eth2'], masqueradeOut: ['eth3', 'eth0'] });
    const b = renderNftables({ forward: true, forwardInterfaces: ['eth2', 'eth1'], masqueradeOut: ['eth0', 'eth3'] });
    expect(a).toBe(b);
  });

  test.each<[string, NftablesInput]>([
    ['masquerade without forwarding', { forward: false, masqueradeOut: ['eth0'] }],
    ['forwarding restricted to no interface', { forward: true, forwardInterfaces: [], masqueradeOut: [] }],
    ['an interface name with a quote', { forward: true, masqueradeOut: ['eth0"'] }],
    ['an interface name with a space', { forward: true, forwardInterfaces: ['eth 1'], masqueradeOut: [] }],
  ])('refuses %s', (_title, input) => {
    expect(() => renderNftables(input)).toThrow(InternalError);
  });

  test('removal text deletes the table even when it does not exist', () => {
    expect(renderNftablesRemoval()).toBe('table ip oneke\ndelete table ip oneke\n');
  });
});

describe('VNF sysctls', () => {
  test.each([
    [true, '1'],
    [false, '0'],
  ])('forward %s → ip_forward %s, and non-local bind always on', (forward, value) => {
    expect(vnfSysctls({ forward })).toEqual({ 'net.ipv4.ip_forward': value, 'net.ipv4.ip_nonlocal_bind': '1' });
  });

  test('renders a sysctl.d file sorted by key', () => {
    expect(renderSysctlConf({ 'net.ipv4.ip_nonlocal_bind': '1', 'net.ipv4.ip_forward': '1' })).toBe(
      '# Written by oneke (VNF role). Local changes are overwritten.\nnet.ipv4.ip_forward = 1\nnet.ipv4.ip_nonlocal_bind = 1\n',
    );
  });

  test.each([
    ['net.ipv4.ip_forward', '1\nkernel.panic = 1'],
    ['net.ipv4.ip_forward', ''],
    ['bad key', '1'],
    ['../../etc', '1'],
  ])('refuses %j = %j', (key, value) => {
    expect(() => renderSysctlConf({ [key]: value })).toThrow(InternalError);
  });
});
