import { describe, expect, it } from 'vitest';
import { compareNames, specFor, specNamed, VALUE_KINDS, VARIABLES } from '../../../src/config/variables.ts';

describe('VARIABLES', () => {
  it('has each name once', () => {
    const names = VARIABLES.map((spec) => spec.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(VARIABLES.filter((spec) => spec.default !== undefined).map((spec) => [spec.name, spec.default, spec.kind] as const))('%s: the default %j is a valid %s', (_name, value, kind) => {
    expect(VALUE_KINDS[kind].parse(value as string).ok).toBe(true);
  });

  it('gives no variable both a literal and a derived default', () => {
    expect(VARIABLES.filter((spec) => spec.default !== undefined && spec.derivedDefault !== undefined).map((spec) => spec.name)).toEqual([]);
  });

  it('describes every variable in one line', () => {
    for (const spec of VARIABLES) expect(spec.description).toMatch(/^[^\n]{10,120}$/);
  });

  it('marks exactly the passwords, the token and the manifests that may hold credentials as secret', () => {
    expect(VARIABLES.filter((spec) => spec.secret === true).map((spec) => spec.name)).toEqual([
      'TOKENTXT',
      'ONEAPP_VNF_KEEPALIVED_PASSWORD',
      'VROUTER_KEEPALIVED_PASSWORD',
      'ONEAPP_VNF_KEEPALIVED_ETH<n>_PASSWORD',
      'ONEAPP_K8S_CNI_CONFIG',
      'ONEAPP_K8S_MULTUS_CONFIG',
      'ONEAPP_K8S_METALLB_CONFIG',
    ]);
  });

  it('lists every variable of contract §3.2 by its exact name', () => {
    const contract = [
      'ONE_SERVICE_VERSION',
      'ONE_SERVICE_RKE2_RELEASE',
      'ONE_SERVICE_RKE2_VERSION',
      'ONE_SERVICE_HELM_VERSION',
      'ONEAPP_K8S_LONGHORN_CHART_VERSION',
      'ONEAPP_K8S_METALLB_CHART_VERSION',
      'ONEAPP_K8S_TRAEFIK_CHART_VERSION',
      'ONE_SERVICE_AIRGAPPED',
      'ONEAPP_VROUTER_ETH0_VIP0',
      'ONEAPP_VROUTER_ETH1_VIP0',
      'ONEAPP_VNF_DNS_ENABLED',
      'FALLBACK_GW',
      'FALLBACK_DNS',
      'ONEAPP_VNF_HAPROXY_LB0_IP',
      'ONEAPP_VNF_HAPROXY_LB1_IP',
      'ONEAPP_VNF_HAPROXY_LB2_IP',
      'ONEAPP_VNF_HAPROXY_LB3_IP',
      'ONEAPP_VNF_HAPROXY_LB0_PORT',
      'ONEAPP_VNF_HAPROXY_LB1_PORT',
      'ONEAPP_VNF_HAPROXY_LB2_PORT',
      'ONEAPP_VNF_HAPROXY_LB3_PORT',
      'ONEAPP_VNF_HAPROXY_LB0_SERVER0_HOST',
      'ONEAPP_VNF_HAPROXY_LB3_SERVER12_PORT',
      'ONEAPP_VNF_HAPROXY_INTERFACES',
      'ONEAPP_VNF_HAPROXY_REFRESH_RATE',
      'ONEAPP_VNF_HAPROXY_ONEGATE_ENABLED',
      'ONEAPP_VNF_KEEPALIVED_VRID',
      'ONEAPP_VNF_KEEPALIVED_PASSWORD',
      'ONEAPP_VNF_KEEPALIVED_INTERVAL',
      'ONEAPP_VNF_KEEPALIVED_PRIORITY',
      'ONEAPP_VNF_KEEPALIVED_INTERFACES',
      'ONEAPP_VNF_KEEPALIVED_ETH0_PASSWORD',
      'ONEAPP_VNF_KEEPALIVED_ETH1_INTERVAL',
      'ONEAPP_VNF_KEEPALIVED_ETH2_PRIORITY',
      'ONEAPP_VNF_KEEPALIVED_ETH3_VRID',
      'ONEAPP_VNF_KEEPALIVED_ETH0_SKIP',
      'ONEAPP_VNF_NAT4_ENABLED',
      'ONEAPP_VNF_NAT4_INTERFACES_OUT',
      'ONEAPP_VNF_ROUTER4_ENABLED',
      'ONEAPP_VNF_ROUTER4_INTERFACES',
      'ONEAPP_RKE2_SUPERVISOR_EP',
      'ONEAPP_K8S_CONTROL_PLANE_EP',
      'ONEAPP_K8S_EXTRA_SANS',
      'ONEAPP_K8S_CNI_PLUGIN',
      'ONEAPP_K8S_CNI_CONFIG',
      'ONEAPP_K8S_MULTUS_ENABLED',
      'ONEAPP_K8S_MULTUS_CONFIG',
      'ONEAPP_K8S_CILIUM_BGP_ENABLED',
      'ONEAPP_K8S_CILIUM_RANGE',
      'ONEAPP_K8S_CILIUM_RANGE2',
      'ONEAPP_K8S_CLUSTER_CIDR',
      'ONEAPP_K8S_SERVICE_CIDR',
      'ONEAPP_RKE2_CLOUD_CONTROLLER_ENABLED',
      'ONEAPP_K8S_HTTP_PROXY',
      'ONEAPP_K8S_HTTPS_PROXY',
      'ONEAPP_K8S_NO_PROXY',
      'ONEAPP_K8S_METALLB_ENABLED',
      'ONEAPP_K8S_METALLB_CLASS',
      'ONEAPP_K8S_METALLB_CONFIG',
      'ONEAPP_K8S_METALLB_RANGE',
      'ONEAPP_K8S_METALLB_RANGE_B',
      'ONEAPP_K8S_TRAEFIK_ENABLED',
      'ONEAPP_K8S_LONGHORN_ENABLED',
      'ONEAPP_STORAGE_DEVICE',
      'ONEAPP_STORAGE_FILESYSTEM',
      'ONEAPP_STORAGE_MOUNTPOINT',
      'ONEGATE_ENDPOINT',
      'VMID',
      'TOKENTXT',
      'SERVICE_ID',
      'REPORT_READY',
      'ETH0_IP',
      'ETH0_MAC',
      'ETH0_MASK',
      'ETH0_NETWORK',
      'ETH0_GATEWAY',
      'ETH0_DNS',
      'ETH0_VROUTER_IP',
      'ETH0_VROUTER_MANAGEMENT',
      'ETH12_IP',
      'ONEAPP_VROUTER_ETH2_VIP3',
    ];
    expect(contract.filter((name) => specFor(name) === undefined)).toEqual([]);
  });

  it.each([
    ['ONEAPP_VNF_HAPROXY_LB0_IP', 'ONEAPP_VNF_HAPROXY_LB0_IP'],
    ['ONEAPP_VNF_HAPROXY_LB7_IP', 'ONEAPP_VNF_HAPROXY_LB<i>_IP'],
    ['ONEAPP_VROUTER_ETH0_VIP0', 'ONEAPP_VROUTER_ETH0_VIP0'],
    ['ONEAPP_VROUTER_ETH0_VIP1', 'ONEAPP_VROUTER_ETH<n>_VIP<m>'],
    ['ONEAPP_K8S_METALLB_RANGE10', 'ONEAPP_K8S_METALLB_RANGE*'],
    ['ETH3_VROUTER_MANAGEMENT', 'ETH<n>_VROUTER_MANAGEMENT'],
  ])('%s is covered by %s (exact names before families)', (name, template) => {
    expect(specFor(name)).toBe(specNamed(template));
  });

  it.each(['ETH01_IP', 'ETH0_IP6', 'ETH0_ALIAS0_IP', 'ONEAPP_VNF_DNS_FORWARDERS', 'ONEAPP_VNF_KEEPALIVED_ETH0_FOO', 'SSH_PUBLIC_KEY', 'ONEAPP_VROUTER_ETH0_VIP01'])('%s is not read', (name) => {
    expect(specFor(name)).toBeUndefined();
  });
});

describe('compareNames (natural order)', () => {
  it('sorts numeric suffixes as numbers, the bare prefix first', () => {
    const names = ['RANGE10', 'RANGE2', 'RANGE', 'RANGE1', 'RANGE_B', 'RANGE_A', 'RANGE01'];
    expect([...names].sort(compareNames)).toEqual(['RANGE', 'RANGE01', 'RANGE1', 'RANGE2', 'RANGE10', 'RANGE_A', 'RANGE_B']);
  });

  it.each([
    ['ETH2_IP', 'ETH10_IP', -1],
    ['LB1_SERVER10_HOST', 'LB1_SERVER9_HOST', 1],
    ['A', 'A', 0],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareNames(a, b))).toBe(sign);
  });
});
