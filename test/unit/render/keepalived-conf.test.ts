import { describe, expect, test } from 'vitest';
import { InternalError } from '../../../src/errors.ts';
import { type KeepalivedInput, keepalivedTextProblem, renderKeepalivedConf, type VrrpInstance } from '../../../src/render/keepalived-conf.ts';

const eth0: VrrpInstance = {
  name: 'ETH0',
  interface: 'eth0',
  vrid: 17,
  priority: 100,
  advertInterval: 1,
  password: 'pa#s!w',
  vips: ['10.0.0.10/24'],
};
const eth1: VrrpInstance = { ...eth0, name: 'ETH1', interface: 'eth1', vips: ['192.168.150.1/24', '192.168.150.2'] };

/** The lines of one `name {` … `}` block at the top level. */
function block(text: string, header: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(`${header} {`);
  if (start === -1) throw new Error(`no block ${header}`);
  const end = lines.indexOf('}', start);
  return lines.slice(start + 1, end).map((line) => line.trim());
}

describe('renderKeepalivedConf', () => {
  test('a OneKE VNF with a public and a private VIP', async () => {
    const text = renderKeepalivedConf({ routerId: 'oneke-vnf-42', syncGroup: 'ONEKE', instances: [eth0, eth1] });
    await expect(text).toMatchFileSnapshot('./__snapshots__/keepalived-two-nics.conf');

    expect(block(text, 'global_defs')).toEqual(['router_id "oneke-vnf-42"', 'vrrp_garp_master_refresh 60']);
    expect(block(text, 'vrrp_sync_group ONEKE')).toEqual(['group {', 'ETH0', 'ETH1', '}']);
    const instance = block(text, 'vrrp_instance ETH1');
    expect(instance).toEqual(expect.arrayContaining(['state BACKUP', 'interface eth1', 'virtual_router_id 17', 'priority 100', 'advert_int 1', 'nopreempt', 'auth_pass "pa#s!w"']));
    expect(text).toContain('        192.168.150.1/24 dev eth1\n        192.168.150.2 dev eth1\n');
    expect(text).not.toContain('version 3');
  });

  test('one instance: no sync group, which keepalived would report as an error', () => {
    const text = renderKeepalivedConf({ syncGroup: 'ONEKE', instances: [eth0] });
    expect(text).not.toContain('vrrp_sync_group');
    expect(block(text, 'global_defs')).toEqual(['vrrp_garp_master_refresh 60']);
    expect(text).toContain('vrrp_instance ETH0 {');
  });

  test('no instances renders global_defs only', () => {
    expect(renderKeepalivedConf({ syncGroup: 'G', instances: [] })).toBe('# Written by oneke (VNF role). Local changes are overwritten.\n\nglobal_defs {\n    vrrp_garp_master_refresh 60\n}\n');
  });

  test.each([
    [1, '1', false],
    [3, '3', false],
    [0.5, '0.5', true],
    [0.25, '0.25', true],
    [1.5, '1.5', true],
    [0.1, '0.1', true],
  ])('advert interval %s → advert_int %s (VRRPv3: %s)', (seconds, text, v3) => {
    const out = renderKeepalivedConf({ syncGroup: 'G', instances: [{ ...eth0, password: undefined, advertInterval: seconds }] });
    expect(out).toContain(`    advert_int ${text}\n`);
    expect(out.includes('    version 3\n')).toBe(v3);
  });

  test('IPv6: an IPv6-only instance speaks VRRPv3; an IPv6 VIP beside IPv4 ones is excluded from the adverts', () => {
    const v6 = renderKeepalivedConf({ syncGroup: 'G', instances: [{ ...eth0, password: undefined, vips: ['FD00::10/64'] }] });
    expect(v6).toContain('    version 3\n');
    expect(v6).toContain('        fd00::10/64 dev eth0\n');
    const mixed = renderKeepalivedConf({ syncGroup: 'G', instances: [{ ...eth0, vips: ['10.0.0.10/24', 'fd00::10/64'] }] });
    expect(block(mixed, 'vrrp_instance ETH0')).toEqual(expect.arrayContaining(['virtual_ipaddress {', '10.0.0.10/24 dev eth0', 'virtual_ipaddress_excluded {', 'fd00::10/64 dev eth0']));
    expect(mixed).not.toContain('version 3');
  });

  test('unicast peers, scripts tracked by every instance, and no password', async () => {
    const input: KeepalivedInput = {
      routerId: 'vnf a',
      syncGroup: 'ONEKE',
      garpRefreshSeconds: 0,
      scripts: [{ name: 'haproxy_alive', command: ['/usr/bin/pgrep', '-x', 'haproxy'], intervalSeconds: 2, timeoutSeconds: 1, fall: 2, rise: 2 }],
      instances: [
        { ...eth0, password: undefined, unicastPeers: ['10.0.0.3', '10.0.0.4'] },
        { ...eth1, password: undefined },
      ],
    };
    const text = renderKeepalivedConf(input);
    await expect(text).toMatchFileSnapshot('./__snapshots__/keepalived-unicast-scripts.conf');
    expect(block(text, 'global_defs')).toEqual(['router_id "vnf a"', 'enable_script_security', 'script_user root']);
    expect(block(text, 'vrrp_script haproxy_alive')).toEqual(['script "/usr/bin/pgrep -x haproxy"', 'interval 2', 'timeout 1', 'fall 2', 'rise 2']);
    expect(text.match(/track_script \{\n\s+haproxy_alive\n/g)).toHaveLength(2);
    expect(text).toContain('    unicast_peer {\n        10.0.0.3\n        10.0.0.4\n    }\n');
    expect(text).not.toContain('authentication');
  });

  test('a weighted script only with a single instance: keepalived ignores it in a sync group', () => {
    const scripts = [{ name: 'chk', command: ['/usr/bin/true'], intervalSeconds: 1, weight: -20 }];
    expect(renderKeepalivedConf({ syncGroup: 'G', instances: [eth0], scripts })).toContain('    weight -20\n');
    expect(() => renderKeepalivedConf({ syncGroup: 'G', instances: [eth0, eth1], scripts })).toThrow(/ignores scripts with a weight in a sync group/);
  });

  test('the same input renders the same text', () => {
    const input: KeepalivedInput = { syncGroup: 'ONEKE', instances: [eth0, eth1] };
    expect(renderKeepalivedConf(input)).toBe(renderKeepalivedConf(structuredClone(input)));
  });

  test.each<[string, Partial<KeepalivedInput> & { instance?: Partial<VrrpInstance> }]>([
    ['VRID 0', { instance: { vrid: 0 } }],
    ['VRID 256', { instance: { vrid: 256 } }],
    ['VRID 1.5', { instance: { vrid: 1.5 } }],
    ['priority 255', { instance: { priority: 255 } }],
    ['priority 0', { instance: { priority: 0 } }],
    ['advert interval 0', { instance: { advertInterval: 0 } }],
    ['advert interval 0.001', { instance: { advertInterval: 0.001 } }],
    ['advert interval 256', { instance: { advertInterval: 256 } }],
    ['fractional interval with a password (VRRPv3 has no authentication)', { instance: { advertInterval: 0.5 } }],
    ['IPv6-only instance with a password', { instance: { vips: ['fd00::1/64'] } }],
    ['a 9-byte password', { instance: { password: '123456789' } }],
    ['a 5-character password of 10 bytes', { instance: { password: 'ééééé' } }],
    ['a password with a double quote', { instance: { password: 'a"b' } }],
    ['a password ending in a backslash', { instance: { password: 'ab\\' } }],
    ['a password that keepalived would expand', { instance: { password: '$_PWD' } }],
    ['a password that is a block delimiter', { instance: { password: '}' } }],
    ['an empty password', { instance: { password: '' } }],
    ['no VIP', { instance: { vips: [] } }],
    ['a VIP that is no address', { instance: { vips: ['10.0.0.300/24'] } }],
    ['the same VIP twice', { instance: { vips: ['10.0.0.10/24', '10.0.0.10/32'] } }],
    ['an interface name with a space', { instance: { interface: 'eth0 x' } }],
    ['an interface name with a brace', { instance: { interface: 'eth{' } }],
    ['an interface name too long for Linux', { instance: { interface: 'eth0123456789012' } }],
    ['an instance name with a quote', { instance: { name: 'ETH"0' } }],
    ['a unicast peer of the other family', { instance: { unicastPeers: ['fd00::2'] } }],
    ['a unicast peer that is no address', { instance: { unicastPeers: ['peer'] } }],
    ['a router id with a newline', { routerId: 'a\nb' }],
    ['a sync group name with a space', { syncGroup: 'ONE KE' }],
  ])('refuses %s with an internal error', (_title, change) => {
    const { instance, ...rest } = change;
    const input: KeepalivedInput = { syncGroup: 'G', instances: [{ ...eth0, ...instance }, eth1], ...rest };
    expect(() => renderKeepalivedConf(input)).toThrow(InternalError);
  });

  test('refuses two instances with one VRID on one interface, or one name twice', () => {
    expect(() => renderKeepalivedConf({ syncGroup: 'G', instances: [eth0, { ...eth0, name: 'OTHER' }] })).toThrow(/VRID 17 is used twice on eth0/);
    expect(() => renderKeepalivedConf({ syncGroup: 'G', instances: [eth0, { ...eth1, name: 'ETH0' }] })).toThrow(/defined twice/);
    // The same VRID on different links is fine: VRRP routers are told apart per link.
    expect(() => renderKeepalivedConf({ syncGroup: 'G', instances: [eth0, eth1] })).not.toThrow();
  });

  test.each([
    [['relative/path'], 'absolute path'],
    [['/bin/sh', '-c', 'echo hi'], 'not a plain word'],
    [['/bin/echo', '"x"'], 'not a plain word'],
    [[], 'absolute path'],
  ])('refuses script command %j', (command, message) => {
    expect(() => renderKeepalivedConf({ syncGroup: 'G', instances: [eth0], scripts: [{ name: 'chk', command, intervalSeconds: 1 }] })).toThrow(message);
  });
});

describe('keepalivedTextProblem', () => {
  test.each(['secret', 'a#b!c', 'p w', "it's", '$$', '$HOME', 'a\\b', '{a}', '!', '#', 'ünï'])('%j can be written', (text) => {
    expect(keepalivedTextProblem(text)).toBeUndefined();
  });

  test.each([
    ['', /empty/],
    ['a"b', /double quote/],
    ['ab\\', /trailing backslash/],
    ['$_HASH', /expands/],
    ['x${_PWD}', /expands/],
    ['{', /block delimiter/],
    ['}', /block delimiter/],
    ['a\tb', /control character/],
    ['a\nb', /control character/],
  ])('%j cannot: %s', (text, reason) => {
    expect(keepalivedTextProblem(text)).toMatch(reason);
  });
});

describe('VIPs on another interface and virtual routes', () => {
  test("a VIP carried by another NIC's instance, and a route that follows the VIPs", () => {
    const text = renderKeepalivedConf({
      syncGroup: 'G',
      instances: [{ ...eth1, vips: ['192.168.150.1/24', { address: '10.0.0.10/24', interface: 'eth0' }], routes: [{ destination: '0.0.0.0/0', via: '10.0.0.254', interface: 'eth0' }] }],
    });
    expect(text).toMatch(/virtual_ipaddress \{\n\s+192\.168\.150\.1\/24 dev eth1\n\s+10\.0\.0\.10\/24 dev eth0\n\s+\}/);
    expect(text).toMatch(/virtual_routes \{\n\s+0\.0\.0\.0\/0 via 10\.0\.0\.254 dev eth0\n\s+\}/);
  });

  test.each([
    ['an unusable VIP interface', { vips: [{ address: '10.0.0.10/24', interface: 'eth 0' }] }],
    ['a route across families', { routes: [{ destination: '0.0.0.0/0', via: 'fd00::1', interface: 'eth0' }] }],
    ['a route through an unusable interface', { routes: [{ destination: '0.0.0.0/0', via: '10.0.0.1', interface: 'a{b' }] }],
  ])('refuses %s', (_name, change) => {
    expect(() => renderKeepalivedConf({ syncGroup: 'G', instances: [{ ...eth0, ...change }] })).toThrow();
  });
});
