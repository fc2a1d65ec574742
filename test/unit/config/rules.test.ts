import { describe, expect, it } from 'vitest';
import { missingForRole, parseConfig, requireFor } from '../../../src/config/index.ts';
import type { Config } from '../../../src/config/index.ts';
import { cidrsOverlap } from '../../../src/config/rules.ts';
import { ConfigError } from '../../../src/errors.ts';
import type { ConfigIssue } from '../../../src/errors.ts';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

function parse(vars: Record<string, string>): { config?: Config; issues: ConfigIssue[] } {
  const result = parseConfig(new Map(Object.entries(vars)));
  return result.ok ? { config: result.config, issues: [] } : { issues: result.issues };
}

describe('metallbNeedsAddresses', () => {
  it.each([
    [{ ONEAPP_K8S_METALLB_ENABLED: 'YES' }, ['ONEAPP_K8S_METALLB_ENABLED']],
    [{ ONEAPP_K8S_METALLB_ENABLED: 'YES', ONEAPP_K8S_METALLB_RANGE: '' }, ['ONEAPP_K8S_METALLB_ENABLED']],
    [{ ONEAPP_K8S_METALLB_ENABLED: 'YES', ONEAPP_K8S_METALLB_RANGE: '10.0.0.1-10.0.0.9' }, []],
    [{ ONEAPP_K8S_METALLB_ENABLED: 'YES', ONEAPP_K8S_METALLB_RANGE7: '10.0.0.1' }, []],
    [{ ONEAPP_K8S_METALLB_ENABLED: 'YES', ONEAPP_K8S_METALLB_CONFIG: b64('kind: IPAddressPool\n') }, []],
    [{ ONEAPP_K8S_METALLB_ENABLED: 'NO' }, []],
    // The bad range is the one issue; "no addresses" would only repeat it.
    [{ ONEAPP_K8S_METALLB_ENABLED: 'YES', ONEAPP_K8S_METALLB_RANGE: '10.0.0.9-10.0.0.1' }, ['ONEAPP_K8S_METALLB_RANGE']],
  ])('%j → %j', (vars, variables) => {
    expect(parse(vars).issues.map((issue) => issue.variable)).toEqual(variables);
  });

  it('says what would make it work', () => {
    expect(parse({ ONEAPP_K8S_METALLB_ENABLED: 'yes' }).issues).toEqual([
      { variable: 'ONEAPP_K8S_METALLB_ENABLED', shown: '"yes"', expected: 'NO, unless ONEAPP_K8S_METALLB_RANGE* or ONEAPP_K8S_METALLB_CONFIG gives MetalLB addresses' },
    ]);
  });
});

describe('loadBalancerBindsAreUnique', () => {
  it.each([
    [{ ONEAPP_VROUTER_ETH0_VIP0: '10.0.0.10', ONEAPP_VNF_HAPROXY_LB2_PORT: '6443' }, ['ONEAPP_VNF_HAPROXY_LB2_PORT']],
    [{ ONEAPP_VROUTER_ETH0_VIP0: '10.0.0.10', ONEAPP_VNF_HAPROXY_LB2_PORT: '6443', ONEAPP_VNF_HAPROXY_LB2_IP: '10.0.0.11' }, []],
    // Without any address there is nothing to bind, so nothing clashes.
    [{ ONEAPP_VNF_HAPROXY_LB2_PORT: '6443' }, []],
    [{ ONEAPP_VROUTER_ETH0_VIP0: '10.0.0.10', ONEAPP_VNF_HAPROXY_LB4_PORT: '80' }, ['ONEAPP_VNF_HAPROXY_LB4_PORT']],
    [{ ETH0_IP: '10.0.0.5', ONEAPP_VNF_HAPROXY_LB0_IP: '<ETH0_EP0>', ONEAPP_VNF_HAPROXY_LB1_IP: '<ETH0_EP0>', ONEAPP_VNF_HAPROXY_LB1_PORT: '9345' }, ['ONEAPP_VNF_HAPROXY_LB1_PORT']],
  ])('%j → %j', (vars, variables) => {
    expect(parse(vars).issues.map((issue) => issue.variable)).toEqual(variables);
  });

  it('names the LB that already has the port', () => {
    expect(parse({ ONEAPP_VROUTER_ETH0_VIP0: '10.0.0.10', ONEAPP_VNF_HAPROXY_LB3_PORT: '443' }).issues[0]?.expected).toBe('a port that LB2 does not already use on 10.0.0.10');
  });
});

describe('podAndServiceNetworksAreDisjoint', () => {
  it.each([
    [{ ONEAPP_K8S_SERVICE_CIDR: '10.42.128.0/17' }, ['ONEAPP_K8S_SERVICE_CIDR']],
    [{ ONEAPP_K8S_CLUSTER_CIDR: '10.0.0.0/8' }, ['ONEAPP_K8S_SERVICE_CIDR']],
    [{ ONEAPP_K8S_CLUSTER_CIDR: '10.44.0.0/16' }, []],
    [{ ONEAPP_K8S_CLUSTER_CIDR: '10.0.0.0/8x' }, ['ONEAPP_K8S_CLUSTER_CIDR']],
  ])('%j → %j', (vars, variables) => {
    expect(parse(vars).issues.map((issue) => issue.variable)).toEqual(variables);
  });

  it.each([
    ['10.42.0.0/16', '10.43.0.0/16', false],
    ['10.42.0.0/16', '10.42.255.0/24', true],
    ['10.42.0.1/16', '10.42.0.0/24', true],
    ['0.0.0.0/0', '192.168.0.0/16', true],
    ['192.168.0.0/24', '192.168.1.0/24', false],
  ])('%s and %s overlap: %s', (a, b, overlap) => {
    expect(cidrsOverlap(a, b)).toBe(overlap);
    expect(cidrsOverlap(b, a)).toBe(overlap);
  });
});

describe('requirements of a role', () => {
  const withoutVip = parse({}).config as Config;
  const withVip = parse({ ONEAPP_VROUTER_ETH0_VIP0: '10.0.0.10' }).config as Config;
  const withSupervisorOnly = parse({ ONEAPP_RKE2_SUPERVISOR_EP: 'ep0.eth0.vr:9345' }).config as Config;

  it.each([
    ['vnf', withoutVip, []],
    ['master', withoutVip, ['ONEAPP_RKE2_SUPERVISOR_EP', 'ONEAPP_K8S_CONTROL_PLANE_EP']],
    ['worker', withoutVip, ['ONEAPP_RKE2_SUPERVISOR_EP']],
    ['storage', withoutVip, ['ONEAPP_RKE2_SUPERVISOR_EP']],
    ['master', withVip, []],
    ['worker', withSupervisorOnly, []],
    ['master', withSupervisorOnly, ['ONEAPP_K8S_CONTROL_PLANE_EP']],
  ] as const)('%s', (role, config, variables) => {
    expect(missingForRole(config, role).map((issue) => issue.variable)).toEqual(variables);
  });

  it('requireFor throws a ConfigError naming what is missing', () => {
    expect(() => requireFor(withoutVip, 'worker')).toThrow(ConfigError);
    expect(() => requireFor(withoutVip, 'worker')).toThrow(
      /^ONEAPP_RKE2_SUPERVISOR_EP="": expected host:port of the RKE2 supervisor, or ONEAPP_VROUTER_ETH0_VIP0 to derive it \(required on a worker\)$/,
    );
    expect(() => requireFor(withVip, 'master')).not.toThrow();
  });
});

describe('vrrpPasswordNeedsWholeSeconds', () => {
  it('rejects a fractional interval where a password is set, naming the variable that set it', () => {
    const issues = (vars: Record<string, string>) => {
      const result = parseConfig(new Map(Object.entries(vars)));
      return result.ok ? [] : result.issues.map((i) => i.variable);
    };
    expect(issues({ ETH0_IP: '10.0.0.2', ONEAPP_VNF_KEEPALIVED_PASSWORD: 'pw', ONEAPP_VNF_KEEPALIVED_INTERVAL: '0.5' })).toEqual(['ONEAPP_VNF_KEEPALIVED_INTERVAL']);
    expect(issues({ ETH1_IP: '10.0.0.2', ONEAPP_VNF_KEEPALIVED_ETH1_PASSWORD: 'pw', ONEAPP_VNF_KEEPALIVED_ETH1_INTERVAL: '0.5' })).toEqual(['ONEAPP_VNF_KEEPALIVED_ETH1_INTERVAL']);
    expect(issues({ ETH0_IP: '10.0.0.2', ONEAPP_VNF_KEEPALIVED_INTERVAL: '0.5' })).toEqual([]);
    expect(issues({ ETH0_IP: '10.0.0.2', ONEAPP_VNF_KEEPALIVED_PASSWORD: 'pw', ONEAPP_VNF_KEEPALIVED_INTERVAL: '2' })).toEqual([]);
  });
});
