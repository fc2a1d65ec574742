// The VNF variables of the official OneKE 1.33 template, validated before anything runs: one issue
// per bad variable, naming it (exit 2 through ConfigError), never a failure at plan time.

import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../../src/config/index.ts';

const BASE = { ETH0_IP: '192.168.150.100', ETH0_MASK: '255.255.255.0', ETH1_IP: '172.20.0.100', ETH1_MASK: '255.255.255.0' };

function issues(vars: Record<string, string>): string[] {
  const result = parseConfig(new Map(Object.entries({ ...BASE, ...vars })));
  return result.ok ? [] : result.issues.map((issue) => issue.variable);
}

describe('placeholders must resolve from the context', () => {
  test.each([
    [{ ONEAPP_VNF_HAPROXY_LB0_IP: '<ETH0_EP0>' }, []],
    [{ ONEAPP_VNF_HAPROXY_LB0_IP: '<ETH9_IP0>' }, ['ONEAPP_VNF_HAPROXY_LB0_IP']],
    [{ ONEAPP_VNF_HAPROXY_LB1_IP: '<ETH1_VIP0>' }, ['ONEAPP_VNF_HAPROXY_LB1_IP']],
    [{ ONEAPP_VNF_HAPROXY_LB1_IP: '<ETH1_VIP0>', ONEAPP_VROUTER_ETH1_VIP0: '172.20.0.86' }, []],
    [{ ONEAPP_VNF_HAPROXY_LB1_IP: '<ETH0_IP1>' }, ['ONEAPP_VNF_HAPROXY_LB1_IP']],
    [{ ONEAPP_VNF_HAPROXY_LB2_SERVER0_HOST: '<ETH3_EP0>', ONEAPP_VNF_HAPROXY_LB2_SERVER0_PORT: '80' }, ['ONEAPP_VNF_HAPROXY_LB2_SERVER0_HOST']],
    [{ ONEAPP_VNF_NAT4_PORT_FWD0: '<ETH0_EP0>:2222:<ETH1_IP0>:22' }, []],
    [{ ONEAPP_VNF_NAT4_PORT_FWD0: '2222:<ETH5_IP0>:22' }, ['ONEAPP_VNF_NAT4_PORT_FWD0']],
  ])('%j → %j', (vars, expected) => {
    expect(issues(vars)).toEqual(expected);
  });
});

describe('load balancer indices are bounded', () => {
  test.each([
    [{ ONEAPP_VNF_HAPROXY_LB99_PORT: '8099', ONEAPP_VNF_HAPROXY_LB99_IP: '192.168.150.100' }, []],
    [{ ONEAPP_VNF_HAPROXY_LB100_PORT: '8100' }, ['ONEAPP_VNF_HAPROXY_LB100_PORT']],
    [{ ONEAPP_VNF_HAPROXY_LB1000000_PORT: '80', ONEAPP_VNF_HAPROXY_LB1000000_IP: '192.168.150.100' }, ['ONEAPP_VNF_HAPROXY_LB1000000_IP', 'ONEAPP_VNF_HAPROXY_LB1000000_PORT']],
  ])('%j → %j', (vars, expected) => {
    expect(issues(vars)).toEqual(expected);
  });
});

describe('VIPs are unicast host addresses', () => {
  test.each([
    ['10.0.0.1', true],
    ['10.0.0.1/24', true],
    ['10.0.0.1/32', true],
    ['10.0.0.0/31', true],
    ['0.0.0.0', false],
    ['0.0.0.0/0', false],
    ['10.0.0.1/0', false],
    ['10.0.0.0/24', false],
    ['10.0.0.255/24', false],
    ['255.255.255.255', false],
    ['127.0.0.1', false],
    ['224.0.0.18', false],
    ['10.0.0.1/33', false],
  ])('ONEAPP_VROUTER_ETH0_VIP0=%s valid: %s', (vip, valid) => {
    expect(issues({ ONEAPP_VROUTER_ETH0_VIP0: vip }).includes('ONEAPP_VROUTER_ETH0_VIP0')).toBe(!valid);
    expect(issues({ ONEAPP_VROUTER_ETH2_VIP1: vip }).includes('ONEAPP_VROUTER_ETH2_VIP1')).toBe(!valid);
  });
});

describe('ONEAPP_VNF_NAT4_PORT_FWD<n>', () => {
  const forwards = (value: string) => {
    const result = parseConfig(new Map(Object.entries({ ...BASE, ONEAPP_VNF_NAT4_PORT_FWD3: value })));
    return result.ok ? result.config.nat4.portForwards : undefined;
  };

  test.each([
    ['8080:10.0.0.5', { address: undefined, port: 8080, destination: '10.0.0.5', destinationPort: undefined }],
    ['8080:10.0.0.5:80', { address: undefined, port: 8080, destination: '10.0.0.5', destinationPort: 80 }],
    ['192.168.150.100:8080:10.0.0.5', { address: '192.168.150.100', port: 8080, destination: '10.0.0.5', destinationPort: undefined }],
    ['<ETH0_EP0>:2222:<ETH1_IP0>:22', { address: '<ETH0_EP0>', port: 2222, destination: '<ETH1_IP0>', destinationPort: 22 }],
  ])('%s', (value, expected) => {
    expect(forwards(value)).toEqual([{ ...expected, index: 3 }]);
  });

  test.each(['8080', '8080:host.example', '0:10.0.0.5', '8080:10.0.0.5:70000', 'a:b:c:d:e', '10.0.0.1:10.0.0.2:80', '<ETH0_EP0>:x:10.0.0.5'])('%s is refused', (value) => {
    expect(forwards(value)).toBeUndefined();
    expect(issues({ ONEAPP_VNF_NAT4_PORT_FWD3: value })).toEqual(['ONEAPP_VNF_NAT4_PORT_FWD3']);
  });
});
