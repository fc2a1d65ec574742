// Reliability, issue 11 item 11: the numbers inside variable names have documented bounds (NIC and
// VIP 0-99, load balancer 0-99, backend 0-999). Beyond them `validate` exits 2 naming the variable;
// a huge index used to become `1e+21` in a generated name and end in an internal error (70).

import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { namedVariables, runOneke } from './validate-cli.ts';

const HUGE = '1000000000000000000000';

describe('indices in variable names', () => {
  test.each([
    [`ETH${HUGE}_IP`, '10.0.0.1'],
    [`ETH${HUGE}_VROUTER_MANAGEMENT`, 'YES'],
    ['ETH100_MASK', '255.255.255.0'],
    [`ONEAPP_VROUTER_ETH0_VIP${HUGE}`, '10.0.0.5'],
    [`ONEAPP_VROUTER_ETH${HUGE}_VIP0`, '10.0.0.5'],
    [`ONEAPP_VNF_HAPROXY_LB${HUGE}_PORT`, '8080'],
    ['ONEAPP_VNF_HAPROXY_LB1000000_PORT', '8080'],
    ['ONEAPP_VNF_HAPROXY_LB100_IP', '10.0.0.5'],
    ['ONEAPP_VNF_HAPROXY_LB4_SERVER1000_HOST', '10.0.0.5'],
    [`ONEAPP_VNF_KEEPALIVED_ETH${HUGE}_PRIORITY`, '100'],
    [`ONEAPP_VNF_KEEPALIVED_ETH${HUGE}_PASSWORD`, 'pw123'],
  ])('%s exits 2 naming it', async (name, value) => {
    const run = await runOneke({ [name]: value });
    expect(run.code).toBe(2);
    expect(namedVariables(run.stderr)).toEqual([name]);
    expect(run.stderr).not.toContain('e+');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    if (name.endsWith('PASSWORD')) expect(run.stderr).not.toContain(value);
  });

  test('the highest index of each kind is accepted', () => {
    const result = parseConfig(
      new Map([
        ['ETH99_IP', '10.0.0.1'],
        ['ONEAPP_VROUTER_ETH99_VIP99', '10.0.0.5'],
        ['ONEAPP_VNF_HAPROXY_LB99_PORT', '8080'],
        ['ONEAPP_VNF_HAPROXY_LB99_SERVER999_HOST', '10.0.0.9'],
        ['ONEAPP_VNF_HAPROXY_LB99_SERVER999_PORT', '80'],
      ]),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.nics.map((nic) => nic.index)).toEqual([99]);
    expect(result.config.loadBalancers.at(-1)).toMatchObject({ index: 99, port: 8080, staticServers: [{ index: 999, host: '10.0.0.9', port: 80 }] });
  });

  test('a placeholder with an index above 99 is not a placeholder', async () => {
    const run = await runOneke({ ONEAPP_VNF_HAPROXY_LB0_IP: `<ETH${HUGE}_IP0>` });
    expect(run.code).toBe(2);
    expect(namedVariables(run.stderr)).toEqual(['ONEAPP_VNF_HAPROXY_LB0_IP']);
  });
});
