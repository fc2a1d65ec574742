import { describe, expect, test } from 'vitest';
import { addressOf, canonicalHost, canonicalIpv6, isDnsName, parseIp, parseIpWithPrefix } from '../../../src/net/address.ts';
import { compareHosts, hostPort } from '../../../src/render/addresses.ts';

describe('parseIp', () => {
  test.each([
    ['10.0.0.1', { family: 4, address: '10.0.0.1' }],
    ['255.255.255.255', { family: 4, address: '255.255.255.255' }],
    ['2001:DB8:0::1', { family: 6, address: '2001:db8::1' }],
    ['::ffff:10.0.0.1', { family: 6, address: '::ffff:a00:1' }],
    ['::', { family: 6, address: '::' }],
  ])('%s → %o', (text, expected) => {
    expect(parseIp(text)).toEqual(expected);
  });

  test.each(['010.0.0.1', '10.0.0', '10.0.0.256', '0x7f.0.0.1', '1.2.3.4 ', '', 'fe80::1%eth0', '[::1]', '::1::2', 'localhost', '10.0.0.1/24'])('refuses %j', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });
});

describe('parseIpWithPrefix and addressOf', () => {
  test.each([
    ['10.0.0.10/24', { family: 4, address: '10.0.0.10', prefixLength: 24 }],
    ['10.0.0.10', { family: 4, address: '10.0.0.10', prefixLength: undefined }],
    ['fd00::A/64', { family: 6, address: 'fd00::a', prefixLength: 64 }],
  ])('%s', (text, expected) => {
    expect(parseIpWithPrefix(text)).toEqual(expected);
  });

  test.each(['10.0.0.1/33', '10.0.0.1/', '10.0.0.1/024', 'fd00::1/129', '10.0.0.1/24/1'])('refuses %j', (text) => {
    expect(parseIpWithPrefix(text)).toBeUndefined();
  });

  test('addressOf drops the prefix', () => {
    expect(addressOf('10.1.2.3/16')).toBe('10.1.2.3');
    expect(addressOf('nonsense')).toBeUndefined();
  });
});

describe('hosts', () => {
  test('canonicalHost accepts addresses and DNS names, lower-casing names', () => {
    expect(canonicalHost('Master-1.Example.com')).toBe('master-1.example.com');
    expect(canonicalHost('2001:db8:0:0::5')).toBe('2001:db8::5');
    expect(canonicalHost('bad host')).toBeUndefined();
    expect(canonicalHost('1.2.3')).toBeUndefined();
    expect(isDnsName('a-.example')).toBe(false);
  });

  test('compareHosts sorts IPv4 numerically, then IPv6 numerically, then names', () => {
    const hosts = ['b.example', '10.0.0.10', '2001:db8::10', '10.0.0.9', 'a.example', '2001:db8::9', '9.255.255.255', '::1'];
    expect([...hosts].sort(compareHosts)).toEqual(['9.255.255.255', '10.0.0.9', '10.0.0.10', '::1', '2001:db8::9', '2001:db8::10', 'a.example', 'b.example']);
  });

  test('hostPort brackets IPv6', () => {
    expect(hostPort('10.0.0.1', 80)).toBe('10.0.0.1:80');
    expect(hostPort('fd00::1', 80)).toBe('[fd00::1]:80');
  });

  test('canonicalIpv6 refuses zones and junk before reaching the URL parser', () => {
    expect(canonicalIpv6('fe80::1%25eth0')).toBeUndefined();
    expect(canonicalIpv6('1]:80/[::1')).toBeUndefined();
  });
});
