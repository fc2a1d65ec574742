import { describe, expect, it } from 'vitest';
import {
  ipv4ToNumber,
  isDnsName,
  isIpv4,
  isIpv6,
  isIpv6Cidr,
  isPlaceholder,
  numberToIpv4,
  parseIpv4Cidr,
  parseIpv4WithPrefix,
  parsePlaceholder,
  parsePort,
  parsePrefixLength,
} from '../../../src/net/address.ts';

describe('address helpers', () => {
  it.each(['::', '::1', '2001:db8::1', 'fe80::1:2:3:4', '1:2:3:4:5:6:7:8', '::ffff:10.0.0.1', '64:ff9b::192.0.2.33'])('%s is IPv6', (raw) => {
    expect(isIpv6(raw)).toBe(true);
  });

  it.each(['', ':', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', 'fe80::1%eth0', '::ffff:10.0.0.256', 'g::1', '1:2:3:4:5:6:7::8:9'])('%j is not IPv6', (raw) => {
    expect(isIpv6(raw)).toBe(false);
  });

  it.each([
    ['example.com', true],
    ['a', true],
    [`${'a'.repeat(63)}.com`, true],
    [`${'a'.repeat(64)}.com`, false],
    ['1.2.3', false],
    ['10.0.0.256', false],
    ['x.123', false],
    ['123.x', true],
    ['a_b.com', false],
    ['a.', false],
  ])('isDnsName(%j) is %s', (raw, valid) => {
    expect(isDnsName(raw)).toBe(valid);
  });

  it('converts addresses to numbers and back', () => {
    expect(ipv4ToNumber('10.0.1.2')).toBe(0x0a000102);
    expect(numberToIpv4(0xffffffff)).toBe('255.255.255.255');
    expect(numberToIpv4(ipv4ToNumber('192.168.7.9'))).toBe('192.168.7.9');
  });
});

describe('IPv4', () => {
  it.each(['0.0.0.0', '10.0.0.1', '192.168.100.255', '255.255.255.255'])('%s is IPv4', (raw) => {
    expect(isIpv4(raw)).toBe(true);
  });

  // 999.0.0.1 passed the node identity's own pattern once; 010.0.0.1 is octal to inet_aton.
  it.each(['', '999.0.0.1', '256.0.0.1', '10.0.0.256', '010.0.0.1', '10.0.0', '10.0.0.1.2', ' 10.0.0.1', '10.0.0.1 ', '0x7f.0.0.1', '1.2.3.-4', '１.2.3.4'])('%j is not IPv4', (raw) => {
    expect(isIpv4(raw)).toBe(false);
  });
});

describe('prefixes and CIDRs', () => {
  it.each([
    ['0', 32, 0],
    ['32', 32, 32],
    ['33', 32, undefined],
    ['128', 128, 128],
    ['129', 128, undefined],
    ['024', 32, undefined],
    ['', 32, undefined],
    ['-1', 32, undefined],
  ] as const)('parsePrefixLength(%j, %d) is %s', (raw, max, expected) => {
    expect(parsePrefixLength(raw, max)).toBe(expected);
  });

  it('parses an IPv4 address with an optional prefix', () => {
    expect(parseIpv4WithPrefix('10.0.0.1')).toEqual({ address: '10.0.0.1', prefixLength: undefined });
    expect(parseIpv4WithPrefix('10.0.0.1/24')).toEqual({ address: '10.0.0.1', prefixLength: 24 });
    expect(parseIpv4WithPrefix('10.0.0.1/33')).toBeUndefined();
    expect(parseIpv4WithPrefix('10.0.0.1/24/1')).toBeUndefined();
    expect(parseIpv4WithPrefix('fd00::1/64')).toBeUndefined();
  });

  it('a CIDR needs its prefix; host bits may be set', () => {
    expect(parseIpv4Cidr('10.42.0.1/16')).toEqual({ address: '10.42.0.1', prefixLength: 16 });
    expect(parseIpv4Cidr('10.42.0.0')).toBeUndefined();
    expect(isIpv6Cidr('fd00::/8')).toBe(true);
    expect(isIpv6Cidr('fd00::')).toBe(false);
    expect(isIpv6Cidr('fd00::/129')).toBe(false);
    expect(isIpv6Cidr('10.0.0.0/8')).toBe(false);
  });
});

describe('ports', () => {
  it.each([
    ['1', 1],
    ['80', 80],
    ['65535', 65535],
    ['0', undefined],
    ['65536', undefined],
    ['080', undefined],
    ['+80', undefined],
    ['8 0', undefined],
    ['', undefined],
  ] as const)('parsePort(%j) is %s', (raw, expected) => {
    expect(parsePort(raw)).toBe(expected);
  });
});

describe('placeholders', () => {
  it('parses <ETHn_IPm>, <ETHn_VIPm> and <ETHn_EPm> with indices 0-99', () => {
    expect(parsePlaceholder('<ETH0_IP0>')).toEqual({ nic: 0, kind: 'IP', index: 0 });
    expect(parsePlaceholder('<ETH1_VIP12>')).toEqual({ nic: 1, kind: 'VIP', index: 12 });
    expect(parsePlaceholder('<ETH99_EP99>')).toEqual({ nic: 99, kind: 'EP', index: 99 });
    expect(isPlaceholder('<ETH0_EP0>')).toBe(true);
  });

  it.each(['<ETH100_IP0>', '<ETH0_IP100>', '<ETH01_IP0>', '<eth0_ip0>', '<ETH0_MAC0>', '<ETH0_IP0', 'x<ETH0_IP0>', '<ETH0_IP0>x', ''])('%j is not a placeholder', (raw) => {
    expect(parsePlaceholder(raw)).toBeUndefined();
    expect(isPlaceholder(raw)).toBe(false);
  });
});

describe('the address module', () => {
  it('is pure: it imports nothing', async () => {
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(new URL('../../../src/net/address.ts', import.meta.url), 'utf8');
    expect(text.match(/^\s*import\s/gm)).toBeNull();
  });
});
