import { describe, expect, test } from 'vitest';
import { ExitCode, OnekeError } from '../../../src/errors.ts';
import { type NicAddresses, PlaceholderError, resolvePlaceholder, tryResolvePlaceholder } from '../../../src/config/placeholders.ts';

const nics: NicAddresses[] = [
  // Public NIC: an IP, an alias, one VIP.
  { index: 0, ips: ['10.0.0.2/24', '10.0.0.3'], vips: ['10.0.0.10/24'] },
  // Private NIC: an IP, no VIP.
  { index: 1, ips: ['172.20.0.1'], vips: [] },
  // A NIC known only by its VIP.
  { index: 3, ips: [], vips: ['192.168.3.10', '192.168.3.11/24'] },
];

describe('placeholders', () => {
  test.each([
    ['<ETH0_IP0>', '10.0.0.2'],
    ['<ETH0_IP1>', '10.0.0.3'],
    ['<ETH0_VIP0>', '10.0.0.10'],
    ['<ETH0_EP0>', '10.0.0.10'], // the VIP when there is one…
    ['<ETH0_EP1>', '10.0.0.3'], // …else the IP of the same position
    ['<ETH1_IP0>', '172.20.0.1'],
    ['<ETH1_EP0>', '172.20.0.1'],
    ['<ETH3_VIP1>', '192.168.3.11'],
    ['<ETH3_EP1>', '192.168.3.11'],
    ['10.9.9.9', '10.9.9.9'], // not a placeholder: unchanged
    ['master.example.com', 'master.example.com'],
  ])('%s → %s', (value, expected) => {
    expect(resolvePlaceholder(value, nics, 'ONEAPP_VNF_HAPROXY_LB0_IP')).toBe(expected);
  });

  test.each([
    ['<ETH2_IP0>', 'no NIC ETH2'],
    ['<ETH1_VIP0>', 'NIC ETH1 has no VIP0'],
    ['<ETH1_IP1>', 'NIC ETH1 has no IP1'],
    ['<ETH1_EP1>', 'neither VIP1 nor IP1'],
    ['<ETH3_IP0>', 'NIC ETH3 has no IP0'],
    ['<eth0_ip0>', 'expected a placeholder'],
    ['<ETH0_GW0>', 'expected a placeholder'],
    ['<ETH0_IP0>:6443', 'expected a placeholder'],
    ['<ETH00_IP0>', 'expected a placeholder'],
    ['<ETH0_IP>', 'expected a placeholder'],
    ['ETH0_IP0>', 'expected a placeholder'],
  ])('%s cannot resolve: %s', (value, reason) => {
    const result = tryResolvePlaceholder(value, nics);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);

    let error: unknown;
    try {
      resolvePlaceholder(value, nics, 'ONEAPP_VNF_HAPROXY_LB1_SERVER0_HOST');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PlaceholderError);
    expect(error).toBeInstanceOf(OnekeError);
    const placeholderError = error as PlaceholderError;
    expect(placeholderError.exitCode).toBe(ExitCode.invalidInput);
    expect(placeholderError.code).toBe('ONEKE_PLACEHOLDER_UNRESOLVED');
    expect(placeholderError.variable).toBe('ONEAPP_VNF_HAPROXY_LB1_SERVER0_HOST');
    expect(placeholderError.value).toBe(value);
    expect(placeholderError.message).toBe(`ONEAPP_VNF_HAPROXY_LB1_SERVER0_HOST=${value}: ${result.ok ? '' : result.reason}`);
  });

  test('a NIC address that is not an address is reported, not passed on', () => {
    expect(tryResolvePlaceholder('<ETH0_IP0>', [{ index: 0, ips: ['garbage'], vips: [] }])).toEqual({
      ok: false,
      reason: 'ETH0 IP0 is "garbage", not an address',
    });
  });
});
