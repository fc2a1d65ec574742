import { describe, expect, it } from 'vitest';
import { assertConfig, parseConfig, secretValues, VARIABLES } from '../../../src/config/index.ts';
import type { Config } from '../../../src/config/index.ts';
import { ConfigError, formatIssue } from '../../../src/errors.ts';
import type { ConfigIssue } from '../../../src/errors.ts';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

function configOf(vars: Record<string, string>): Config {
  const result = parseConfig(new Map(Object.entries(vars)));
  if (!result.ok) throw new Error(`unexpected issues: ${result.issues.map(formatIssue).join('; ')}`);
  return result.config;
}

function issuesOf(vars: Record<string, string>): ConfigIssue[] {
  const result = parseConfig(new Map(Object.entries(vars)));
  if (result.ok) throw new Error('expected issues, got a config');
  return result.issues;
}

/** Where each fixed variable lands in the config, and its value in an empty context. */
const DEFAULTS: [string, (config: Config) => unknown, unknown][] = [
  ['ONEGATE_ENDPOINT', (c) => c.onegate.endpoint, undefined],
  ['VMID', (c) => c.onegate.vmId, undefined],
  ['TOKENTXT', (c) => c.onegate.token, undefined],
  ['SERVICE_ID', (c) => c.serviceId, undefined],
  ['REPORT_READY', (c) => c.reportReady, false],
  ['ONE_SERVICE_VERSION', (c) => c.versions.oneService, '1.33'],
  ['ONE_SERVICE_RKE2_RELEASE', (c) => c.versions.rke2Release, '1.33.5'],
  ['ONE_SERVICE_RKE2_VERSION', (c) => c.versions.rke2, 'v1.33.5+rke2r1'],
  ['ONE_SERVICE_HELM_VERSION', (c) => c.versions.helm, '3.18.6'],
  ['ONEAPP_K8S_LONGHORN_CHART_VERSION', (c) => c.versions.longhornChart, '1.9.1'],
  ['ONEAPP_K8S_METALLB_CHART_VERSION', (c) => c.versions.metallbChart, '0.15.2'],
  ['ONEAPP_K8S_TRAEFIK_CHART_VERSION', (c) => c.versions.traefikChart, '37.1.0'],
  ['ONE_SERVICE_AIRGAPPED', (c) => c.airgapped, false],
  ['ONEAPP_VROUTER_ETH0_VIP0', (c) => c.network.publicVip, undefined],
  ['ONEAPP_VROUTER_ETH1_VIP0', (c) => c.network.privateVip, undefined],
  ['ONEAPP_VNF_DNS_ENABLED', (c) => c.network.dnsEnabled, true],
  ['FALLBACK_GW', (c) => c.network.fallbackGateway, undefined],
  ['FALLBACK_DNS', (c) => c.network.fallbackDns, undefined],
  ['ONEAPP_VNF_HAPROXY_LB0_IP', (c) => c.loadBalancers[0]?.ip, undefined],
  ['ONEAPP_VNF_HAPROXY_LB0_PORT', (c) => c.loadBalancers[0]?.port, 9345],
  ['ONEAPP_VNF_HAPROXY_LB1_IP', (c) => c.loadBalancers[1]?.ip, undefined],
  ['ONEAPP_VNF_HAPROXY_LB1_PORT', (c) => c.loadBalancers[1]?.port, 6443],
  ['ONEAPP_VNF_HAPROXY_LB2_IP', (c) => c.loadBalancers[2]?.ip, undefined],
  ['ONEAPP_VNF_HAPROXY_LB2_PORT', (c) => c.loadBalancers[2]?.port, 443],
  ['ONEAPP_VNF_HAPROXY_LB3_IP', (c) => c.loadBalancers[3]?.ip, undefined],
  ['ONEAPP_VNF_HAPROXY_LB3_PORT', (c) => c.loadBalancers[3]?.port, 80],
  ['ONEAPP_VNF_HAPROXY_INTERFACES', (c) => c.haproxy.interfaces, { include: 'all', exclude: [] }],
  ['ONEAPP_VNF_HAPROXY_REFRESH_RATE', (c) => c.haproxy.refreshRateSeconds, 3],
  ['ONEAPP_K8S_WAIT_TIMEOUT', (c) => c.k8s.waitSeconds, 1200],
  ['ONEAPP_VNF_HAPROXY_ONEGATE_ENABLED', (c) => c.haproxy.onegateEnabled, true],
  ['ONEAPP_VNF_HAPROXY_ENABLED', (c) => c.haproxy.enabled, true],
  ['ONEAPP_VNF_KEEPALIVED_VRID', (c) => [c.keepalived.vrid, c.keepalived.vridSource], [1, 'fallback']],
  ['ONEAPP_VNF_KEEPALIVED_PASSWORD', (c) => c.keepalived.password, undefined],
  ['VROUTER_KEEPALIVED_PASSWORD', (c) => c.keepalived.password, undefined],
  ['VROUTER_KEEPALIVED_ID', (c) => c.keepalived.vridSource, 'fallback'],
  ['VROUTER_ID', (c) => c.keepalived.vrid, 1],
  ['ONEAPP_VNF_KEEPALIVED_INTERVAL', (c) => c.keepalived.intervalSeconds, 1],
  ['ONEAPP_VNF_KEEPALIVED_PRIORITY', (c) => c.keepalived.priority, 100],
  ['ONEAPP_VNF_KEEPALIVED_INTERFACES', (c) => c.keepalived.interfaces, { include: 'all', exclude: [] }],
  ['ONEAPP_VNF_NAT4_ENABLED', (c) => c.nat4.enabled, false],
  ['ONEAPP_VNF_NAT4_INTERFACES_OUT', (c) => c.nat4.interfacesOut, { include: [], exclude: [] }],
  ['ONEAPP_VNF_ROUTER4_ENABLED', (c) => c.router4.enabled, false],
  ['ONEAPP_VNF_ROUTER4_INTERFACES', (c) => c.router4.interfaces, { include: 'all', exclude: [] }],
  ['ONEAPP_VNF_DNS_CLUSTER_DOMAIN', (c) => c.dns.clusterDomain, 'vr'],
  ['ONEAPP_VNF_DNS_NAMESERVERS', (c) => c.dns.nameservers, []],
  ['ONEAPP_VNF_DNS_USE_ROOTSERVERS', (c) => c.dns.useRootServers, true],
  ['ONEAPP_VNF_DNS_INTERFACES', (c) => c.dns.interfaces, undefined],
  ['ONEAPP_VNF_DNS_ALLOWED_NETWORKS', (c) => c.dns.allowedNetworks, undefined],
  ['ONEAPP_VNF_DNS_TCP_DISABLED', (c) => c.dns.tcp, true],
  ['ONEAPP_VNF_DNS_UDP_DISABLED', (c) => c.dns.udp, true],
  ['ONEAPP_VNF_DNS_UPSTREAM_TIMEOUT', (c) => c.dns.upstreamTimeoutMs, 1128],
  ['ONEAPP_VNF_DNS_MAX_CACHE_TTL', (c) => c.dns.maxCacheTtlSeconds, 3600],
  ['ONEAPP_RKE2_SUPERVISOR_EP', (c) => c.endpoints.supervisor, undefined],
  ['ONEAPP_K8S_CONTROL_PLANE_EP', (c) => c.endpoints.controlPlane, undefined],
  ['ONEAPP_K8S_EXTRA_SANS', (c) => c.k8s.extraSans, ['localhost', '127.0.0.1']],
  ['ONEAPP_K8S_CNI_PLUGIN', (c) => c.k8s.cni, 'cilium'],
  ['ONEAPP_K8S_CNI_CONFIG', (c) => c.k8s.cniConfig, undefined],
  ['ONEAPP_K8S_MULTUS_ENABLED', (c) => c.k8s.multus.enabled, false],
  ['ONEAPP_K8S_MULTUS_CONFIG', (c) => c.k8s.multus.config, undefined],
  ['ONEAPP_K8S_CILIUM_BGP_ENABLED', (c) => c.k8s.cilium.bgpEnabled, false],
  ['ONEAPP_K8S_CLUSTER_CIDR', (c) => c.k8s.clusterCidr, '10.42.0.0/16'],
  ['ONEAPP_K8S_SERVICE_CIDR', (c) => c.k8s.serviceCidr, '10.43.0.0/16'],
  ['ONEAPP_RKE2_CLOUD_CONTROLLER_ENABLED', (c) => c.k8s.cloudControllerEnabled, true],
  ['ONEAPP_K8S_HTTP_PROXY', (c) => c.k8s.proxy.http, undefined],
  ['ONEAPP_K8S_HTTPS_PROXY', (c) => c.k8s.proxy.https, undefined],
  ['ONEAPP_K8S_NO_PROXY', (c) => c.k8s.proxy.noProxy, ['127.0.0.0/8', 'localhost', '10.42.0.0/16', '10.43.0.0/16']],
  ['ONEAPP_K8S_METALLB_ENABLED', (c) => c.addons.metallb.enabled, false],
  ['ONEAPP_K8S_METALLB_CLASS', (c) => c.addons.metallb.loadBalancerClass, 'metallb'],
  ['ONEAPP_K8S_METALLB_CONFIG', (c) => c.addons.metallb.config, undefined],
  ['ONEAPP_K8S_TRAEFIK_ENABLED', (c) => c.addons.traefik.enabled, false],
  ['ONEAPP_K8S_LONGHORN_ENABLED', (c) => c.addons.longhorn.enabled, false],
  ['ONEAPP_STORAGE_DEVICE', (c) => c.storage.device, undefined],
  ['ONEAPP_STORAGE_FILESYSTEM', (c) => c.storage.filesystem, 'xfs'],
  ['ONEAPP_STORAGE_MOUNTPOINT', (c) => c.storage.mountpoint, '/var/lib/longhorn'],
];

describe('parseConfig defaults', () => {
  const empty = configOf({});

  it.each(DEFAULTS)('%s', (_name, read, expected) => {
    expect(read(empty)).toEqual(expected);
  });

  it('covers every fixed variable of the table', () => {
    const fixed = VARIABLES.filter((spec) => spec.pattern === undefined).map((spec) => spec.name);
    expect(DEFAULTS.map(([name]) => name).sort()).toEqual([...fixed].sort());
  });

  it.each(DEFAULTS.filter(([name]) => !['ONEAPP_K8S_NO_PROXY'].includes(name)))('%s: an empty value means the default', (name, read, expected) => {
    expect(read(configOf({ [name]: '' }))).toEqual(expected);
  });

  it('has no collections, NICs or unrecognized names in an empty context', () => {
    expect(empty.nics).toEqual([]);
    expect(empty.loadBalancers.map((lb) => lb.index)).toEqual([0, 1, 2, 3]);
    expect(empty.loadBalancers.every((lb) => lb.staticServers.length === 0)).toBe(true);
    expect(empty.keepalived.perNic).toEqual({});
    expect(empty.k8s.cilium.ranges).toEqual([]);
    expect(empty.addons.metallb.ranges).toEqual([]);
    expect(empty.unrecognized).toEqual([]);
  });
});

describe('booleans: YES/TRUE/1 and NO/FALSE/0 in any case; anything else is an issue', () => {
  it.each([
    ['YES', true],
    ['yes', true],
    ['yEs', true],
    ['1', true],
    [' YES ', true],
    ['true', true],
    ['NO', false],
    ['no', false],
    ['0', false],
    ['FALSE', false],
  ])('%j', (raw, value) => {
    expect(configOf({ ONEAPP_VNF_DNS_ENABLED: raw }).network.dnsEnabled).toBe(value);
    expect(configOf({ REPORT_READY: raw }).reportReady).toBe(value);
    expect(configOf({ ETH0_VROUTER_MANAGEMENT: raw }).nics[0]?.management).toBe(value);
  });

  it.each(['on', 'Y', '2', 'maybe', '\u0000garbage'])('%j is rejected, naming the variable', (raw) => {
    expect(issuesOf({ ONE_SERVICE_AIRGAPPED: raw }).map((issue) => issue.variable)).toEqual(['ONE_SERVICE_AIRGAPPED']);
  });

  it('an empty value keeps the default, YES or NO', () => {
    expect(configOf({ ONEAPP_VNF_DNS_ENABLED: '' }).network.dnsEnabled).toBe(true);
    expect(configOf({ ONEAPP_RKE2_CLOUD_CONTROLLER_ENABLED: '  ' }).k8s.cloudControllerEnabled).toBe(true);
    expect(configOf({ REPORT_READY: '' }).reportReady).toBe(false);
  });
});

describe('prefix collections', () => {
  it('collects every ONEAPP_K8S_METALLB_RANGE* in natural name order', () => {
    const config = configOf({
      ONEAPP_K8S_METALLB_RANGE10: '10.0.0.10',
      ONEAPP_K8S_METALLB_RANGE2: '10.0.0.2',
      ONEAPP_K8S_METALLB_RANGE: '10.0.0.0',
      ONEAPP_K8S_METALLB_RANGE1: '10.0.0.1-10.0.0.1',
      ONEAPP_K8S_METALLB_RANGE_EXTRA: '10.0.0.99, 10.0.0.100-10.0.0.110',
      ONEAPP_K8S_METALLB_RANGE3: '',
    });
    expect(config.addons.metallb.ranges.map((range) => range.first)).toEqual(['10.0.0.0', '10.0.0.1', '10.0.0.2', '10.0.0.10', '10.0.0.99', '10.0.0.100']);
  });

  it('collects every ONEAPP_K8S_CILIUM_RANGE*, IPv6 included, in natural name order', () => {
    const config = configOf({
      ONEAPP_K8S_CILIUM_RANGE12: 'fd00:12::/64',
      ONEAPP_K8S_CILIUM_RANGE9: '10.9.0.0/24',
      ONEAPP_K8S_CILIUM_RANGE: '10.0.0.0/24,10.1.0.0/24',
    });
    expect(config.k8s.cilium.ranges).toEqual(['10.0.0.0/24', '10.1.0.0/24', '10.9.0.0/24', 'fd00:12::/64']);
  });

  it('reports a bad member by its own name', () => {
    expect(issuesOf({ ONEAPP_K8S_CILIUM_RANGE: '10.0.0.0/24', ONEAPP_K8S_CILIUM_RANGE7: '10.0.0.0' }).map((issue) => issue.variable)).toEqual(['ONEAPP_K8S_CILIUM_RANGE7']);
  });
});

describe('derived values', () => {
  const vip = { ONEAPP_VROUTER_ETH0_VIP0: '192.168.150.86' };

  it('endpoints and LB addresses default to the public VIP and the LB ports', () => {
    const config = configOf({ ...vip, ONEAPP_VNF_HAPROXY_LB0_PORT: '19345', ONEAPP_VNF_HAPROXY_LB1_PORT: '16443' });
    expect(config.endpoints).toEqual({ supervisor: { host: '192.168.150.86', port: 19345 }, controlPlane: { host: '192.168.150.86', port: 16443 } });
    expect(config.loadBalancers.map((lb) => [lb.ip, lb.port])).toEqual([
      ['192.168.150.86', 19345],
      ['192.168.150.86', 16443],
      ['192.168.150.86', 443],
      ['192.168.150.86', 80],
    ]);
  });

  it('takes the address of a VIP written with a prefix length', () => {
    const config = configOf({ ONEAPP_VROUTER_ETH0_VIP0: '10.0.0.10/24', ONEAPP_VROUTER_ETH1_VIP0: '172.20.0.1/16' });
    expect(config.network).toMatchObject({ publicVip: '10.0.0.10', privateVip: '172.20.0.1' });
    expect(config.endpoints.controlPlane).toEqual({ host: '10.0.0.10', port: 6443 });
    expect(config.nics.map((nic) => nic.vips)).toEqual([[{ index: 0, address: '10.0.0.10', prefixLength: 24 }], [{ index: 0, address: '172.20.0.1', prefixLength: 16 }]]);
  });

  it('uses given endpoints, with the LB port when only a host is given', () => {
    const config = configOf({ ...vip, ONEAPP_RKE2_SUPERVISOR_EP: 'ep0.eth0.vr:9345', ONEAPP_K8S_CONTROL_PLANE_EP: 'k8s.example.com' });
    expect(config.endpoints).toEqual({ supervisor: { host: 'ep0.eth0.vr', port: 9345 }, controlPlane: { host: 'k8s.example.com', port: 6443 } });
  });

  it('keeps LB placeholders for the VNF to resolve', () => {
    expect(configOf({ ...vip, ONEAPP_VNF_HAPROXY_LB0_IP: '<ETH0_EP0>' }).loadBalancers[0]?.ip).toBe('<ETH0_EP0>');
  });

  it.each([
    [{ ONE_SERVICE_VERSION: '1.31' }, ['1.31', '1.31.4', 'v1.31.4+rke2r1']],
    [{ ONE_SERVICE_RKE2_RELEASE: '1.33.9' }, ['1.33', '1.33.9', 'v1.33.9+rke2r1']],
    [{ ONE_SERVICE_RKE2_VERSION: 'v1.33.4+rke2r2' }, ['1.33', '1.33.5', 'v1.33.4+rke2r2']],
  ])('RKE2 versions from %j', (vars, expected) => {
    const { versions } = configOf(vars);
    expect([versions.oneService, versions.rke2Release, versions.rke2]).toEqual(expected);
  });

  it.each([
    [{ SERVICE_ID: '300', VMID: '12' }, 46, 'SERVICE_ID'],
    [{ VMID: '12' }, 13, 'VMID'],
    [{ SERVICE_ID: '300', ONEAPP_VNF_KEEPALIVED_VRID: '9' }, 9, 'ONEAPP_VNF_KEEPALIVED_VRID'],
    [{ SERVICE_ID: '300', VROUTER_KEEPALIVED_ID: '8' }, 8, 'VROUTER_KEEPALIVED_ID'],
    [{ VROUTER_KEEPALIVED_ID: '8', ONEAPP_VNF_KEEPALIVED_VRID: '9' }, 9, 'ONEAPP_VNF_KEEPALIVED_VRID'],
    [{ VROUTER_ID: '600', VMID: '12' }, 91, 'VROUTER_ID'],
    [{ VROUTER_ID: '600', SERVICE_ID: '300' }, 46, 'SERVICE_ID'],
  ])('keepalived VRID from %j', (vars, vrid, source) => {
    expect(configOf(vars).keepalived).toMatchObject({ vrid, vridSource: source });
  });

  it('default NO_PROXY covers endpoints, cluster networks and the NIC subnets', () => {
    const config = configOf({
      ...vip,
      ONEAPP_RKE2_SUPERVISOR_EP: 'ep0.eth0.vr:9345',
      ONEAPP_K8S_CLUSTER_CIDR: '10.142.0.0/16',
      ETH0_IP: '192.168.150.20',
      ETH0_MASK: '255.255.255.0',
      ETH1_IP: '10.20.30.40',
      ETH1_MASK: '255.255.0.0',
    });
    expect(config.k8s.proxy.noProxy).toEqual(['127.0.0.0/8', 'localhost', '192.168.150.86/32', 'ep0.eth0.vr', '10.142.0.0/16', '10.43.0.0/16', '192.168.150.0/24', '10.20.0.0/16']);
  });

  it('a given NO_PROXY is used as is', () => {
    expect(configOf({ ...vip, ONEAPP_K8S_NO_PROXY: 'localhost,.svc' }).k8s.proxy.noProxy).toEqual(['localhost', '.svc']);
  });
});

describe('NICs, load balancers and keepalived per NIC', () => {
  it('collects NICs by index with their VIPs', () => {
    const config = configOf({
      ETH10_IP: '10.10.0.2',
      ETH2_IP: '10.2.0.2',
      ETH2_MAC: '02:00:0A:02:00:02',
      ETH2_MASK: '255.255.255.0',
      ETH2_NETWORK: '10.2.0.0',
      ETH2_GATEWAY: '10.2.0.1',
      ETH2_DNS: '10.2.0.1 1.1.1.1',
      ETH2_VROUTER_IP: '10.2.0.254',
      ETH2_VROUTER_MANAGEMENT: 'YES',
      ONEAPP_VROUTER_ETH2_VIP10: '10.2.0.210',
      ONEAPP_VROUTER_ETH2_VIP1: '10.2.0.201',
      ONEAPP_VROUTER_ETH3_VIP0: '10.3.0.200',
      ETH0_IP6: '2001:db8::1',
    });
    expect(config.nics.map((nic) => nic.name)).toEqual(['eth2', 'eth3', 'eth10']);
    expect(config.nics[0]).toEqual({
      name: 'eth2',
      index: 2,
      ip: '10.2.0.2',
      mac: '02:00:0a:02:00:02',
      mask: '255.255.255.0',
      prefixLength: 24,
      network: '10.2.0.0',
      gateway: '10.2.0.1',
      dns: ['10.2.0.1', '1.1.1.1'],
      vrouterIp: '10.2.0.254',
      management: true,
      vips: [
        { index: 1, address: '10.2.0.201', prefixLength: undefined },
        { index: 10, address: '10.2.0.210', prefixLength: undefined },
      ],
    });
    expect(config.nics[1]).toMatchObject({ name: 'eth3', ip: undefined, vips: [{ index: 0, address: '10.3.0.200' }] });
  });

  it('collects static backends per LB by index, and further LBs', () => {
    const config = configOf({
      ONEAPP_VROUTER_ETH0_VIP0: '10.0.0.10',
      ONEAPP_VNF_HAPROXY_LB0_SERVER10_HOST: '10.0.1.10',
      ONEAPP_VNF_HAPROXY_LB0_SERVER10_PORT: '9345',
      ONEAPP_VNF_HAPROXY_LB0_SERVER2_HOST: 'master-2.example.com',
      ONEAPP_VNF_HAPROXY_LB0_SERVER2_PORT: '9345',
      ONEAPP_VNF_HAPROXY_LB3_SERVER0_HOST: '<ETH1_IP0>',
      ONEAPP_VNF_HAPROXY_LB3_SERVER0_PORT: '32080',
      ETH1_IP: '10.0.1.1',
      ONEAPP_VNF_HAPROXY_LB4_PORT: '8080',
      ONEAPP_VNF_HAPROXY_LB4_SERVER0_HOST: '10.0.1.5',
      ONEAPP_VNF_HAPROXY_LB4_SERVER0_PORT: '80',
    });
    expect(config.loadBalancers.map((lb) => [lb.index, lb.ip, lb.port, lb.staticServers.map((server) => [server.index, server.host, server.port])])).toEqual([
      [
        0,
        '10.0.0.10',
        9345,
        [
          [2, 'master-2.example.com', 9345],
          [10, '10.0.1.10', 9345],
        ],
      ],
      [1, '10.0.0.10', 6443, []],
      [2, '10.0.0.10', 443, []],
      [3, '10.0.0.10', 80, [[0, '<ETH1_IP0>', 32080]]],
      [4, '10.0.0.10', 8080, [[0, '10.0.1.5', 80]]],
    ]);
  });

  it.each([
    [{ ONEAPP_VNF_HAPROXY_LB0_SERVER1_HOST: '10.0.1.1' }, 'ONEAPP_VNF_HAPROXY_LB0_SERVER1_PORT'],
    [{ ONEAPP_VNF_HAPROXY_LB2_SERVER1_PORT: '32443' }, 'ONEAPP_VNF_HAPROXY_LB2_SERVER1_HOST'],
    [{ ONEAPP_VNF_HAPROXY_LB5_IP: '10.0.0.11' }, 'ONEAPP_VNF_HAPROXY_LB5_PORT'],
  ])('reports the missing half of %j', (vars, variable) => {
    expect(issuesOf(vars)).toEqual([expect.objectContaining({ variable, shown: '(not set)' })]);
  });

  it('reports a bad backend host once, without a second issue for its port', () => {
    expect(issuesOf({ ONEAPP_VNF_HAPROXY_LB0_SERVER1_HOST: 'bad host', ONEAPP_VNF_HAPROXY_LB0_SERVER1_PORT: '9345' }).map((issue) => issue.variable)).toEqual(['ONEAPP_VNF_HAPROXY_LB0_SERVER1_HOST']);
  });

  it('gives every NIC effective keepalived settings: overrides, else the global values', () => {
    const config = configOf({
      SERVICE_ID: '4',
      ETH0_IP: '10.0.0.2',
      ETH1_IP: '10.1.0.2',
      ONEAPP_VNF_KEEPALIVED_PASSWORD: 'global',
      ONEAPP_VNF_KEEPALIVED_PRIORITY: '150',
      ONEAPP_VNF_KEEPALIVED_ETH0_SKIP: 'YES',
      ONEAPP_VNF_KEEPALIVED_ETH1_PASSWORD: 'eth1pw',
      ONEAPP_VNF_KEEPALIVED_ETH1_INTERVAL: '2',
      ONEAPP_VNF_KEEPALIVED_ETH1_PRIORITY: '200',
      ONEAPP_VNF_KEEPALIVED_ETH1_VRID: '77',
      ONEAPP_VNF_KEEPALIVED_ETH3_PRIORITY: '10',
    });
    expect(config.keepalived.perNic).toEqual({
      eth0: { nic: 'eth0', index: 0, vrid: 5, ownVrid: false, password: 'global', intervalSeconds: 1, priority: 150, skip: true },
      eth1: { nic: 'eth1', index: 1, vrid: 77, ownVrid: true, password: 'eth1pw', intervalSeconds: 2, priority: 200, skip: false },
      eth3: { nic: 'eth3', index: 3, vrid: 5, ownVrid: false, password: 'global', intervalSeconds: 1, priority: 10, skip: false },
    });
  });

  it('validates per-NIC keepalived overrides like the global ones', () => {
    expect(
      issuesOf({
        ONEAPP_VNF_KEEPALIVED_ETH1_PRIORITY: '255',
        ONEAPP_VNF_KEEPALIVED_ETH1_VRID: '0',
        ONEAPP_VNF_KEEPALIVED_ETH1_INTERVAL: '0',
        ONEAPP_VNF_KEEPALIVED_ETH2_PASSWORD: 'way-too-long',
      }).map((issue) => [issue.variable, issue.expected]),
    ).toEqual([
      ['ONEAPP_VNF_KEEPALIVED_ETH1_VRID', 'a VRRP router id 1-255'],
      ['ONEAPP_VNF_KEEPALIVED_ETH1_INTERVAL', expect.stringContaining('above 0')],
      ['ONEAPP_VNF_KEEPALIVED_ETH1_PRIORITY', 'a VRRP priority 1-254'],
      ['ONEAPP_VNF_KEEPALIVED_ETH2_PASSWORD', expect.stringContaining('1 to 8')],
    ]);
  });
});

describe('issues', () => {
  it('finds five distinct mistakes at once, one issue each, naming the variable', () => {
    const issues = issuesOf({
      ONEAPP_VNF_HAPROXY_LB0_PORT: '70000',
      ONEAPP_K8S_CNI_PLUGIN: 'flannel',
      ONEAPP_K8S_CLUSTER_CIDR: '10.42.0.0',
      ETH0_IP: '010.0.0.1',
      ONEGATE_ENDPOINT: 'gate:5030',
      ONEAPP_VROUTER_ETH0_VIP0: '10.0.0.10',
      ONEAPP_K8S_CNI_CONFIG: '',
    });
    expect(issues).toHaveLength(5);
    expect(issues.map((issue) => issue.variable).sort()).toEqual(['ETH0_IP', 'ONEAPP_K8S_CLUSTER_CIDR', 'ONEAPP_K8S_CNI_PLUGIN', 'ONEAPP_VNF_HAPROXY_LB0_PORT', 'ONEGATE_ENDPOINT']);
    expect(issues.find((issue) => issue.variable === 'ONEAPP_VNF_HAPROXY_LB0_PORT')).toEqual({
      variable: 'ONEAPP_VNF_HAPROXY_LB0_PORT',
      shown: '"70000"',
      expected: 'a TCP port 1-65535 (digits only)',
    });
    expect(formatIssue(issues.find((issue) => issue.variable === 'ONEAPP_K8S_CNI_PLUGIN') as ConfigIssue)).toBe('ONEAPP_K8S_CNI_PLUGIN="flannel": expected one of cilium, canal, calico');
  });

  it.each([
    ['ONEGATE_ENDPOINT', 'onegate.example.com:5030'],
    ['VMID', '-1'],
    ['SERVICE_ID', '12a'],
    ['ONEAPP_K8S_CNI_CONFIG', b64('- not\n- a mapping\n')],
    ['ONEAPP_K8S_MULTUS_CONFIG', '%%%'],
    ['ONEAPP_K8S_METALLB_CONFIG', b64('kind: [unclosed\n')],
    ['ONEAPP_STORAGE_DEVICE', 'vdb'],
    ['ONEAPP_STORAGE_FILESYSTEM', 'btrfs'],
    ['ONEAPP_STORAGE_MOUNTPOINT', 'relative/path'],
    ['FALLBACK_GW', 'gateway'],
    ['ONEAPP_K8S_EXTRA_SANS', 'localhost,not valid'],
    ['ONEAPP_VNF_HAPROXY_REFRESH_RATE', '0'],
    ['ONEAPP_VNF_HAPROXY_INTERFACES', 'eth0/10.0.0.1'],
    ['ONE_SERVICE_VERSION', '1 33'],
    ['ONEAPP_K8S_HTTP_PROXY', 'proxy:3128'],
    ['ETH1_MASK', '255.0.255.0'],
    ['ONEAPP_VROUTER_ETH1_VIP0', '10.0.0.1/40'],
  ])('%s=%j is one issue', (variable, raw) => {
    expect(issuesOf({ [variable]: raw }).map((issue) => issue.variable)).toEqual([variable]);
  });

  it('never shows a secret, in issues or in the error message', () => {
    const secrets = { TOKENTXT: 'tok en-1234', ONEAPP_VNF_KEEPALIVED_PASSWORD: 'password-too-long', ONEAPP_VNF_KEEPALIVED_ETH1_PASSWORD: 'bad"pw' };
    const issues = issuesOf(secrets);
    expect(issues).toEqual([
      { variable: 'TOKENTXT', shown: '<hidden, 11 characters>', expected: expect.any(String) },
      { variable: 'ONEAPP_VNF_KEEPALIVED_PASSWORD', shown: '<hidden, 17 characters>', expected: expect.any(String) },
      { variable: 'ONEAPP_VNF_KEEPALIVED_ETH1_PASSWORD', shown: '<hidden, 6 characters>', expected: expect.any(String) },
    ]);
    let message = '';
    try {
      assertConfig(new Map(Object.entries(secrets)));
    } catch (error) {
      message = (error as Error).message;
    }
    for (const secret of Object.values(secrets)) expect(message).not.toContain(secret);
    for (const secret of ['1234', 'too-long', 'pw']) expect(JSON.stringify(issues)).not.toContain(secret);
  });

  it('does not trim secrets: a password with a space is wrong, not silently changed', () => {
    expect(issuesOf({ ONEAPP_VNF_KEEPALIVED_PASSWORD: ' secret' })).toEqual([expect.objectContaining({ variable: 'ONEAPP_VNF_KEEPALIVED_PASSWORD', shown: '<hidden, 7 characters>' })]);
  });

  it('trims other values: a CR or spaces around a value are not part of it', () => {
    expect(configOf({ ONEAPP_K8S_CNI_PLUGIN: ' canal\r', ONEAPP_VNF_HAPROXY_LB1_PORT: '7443\n' })).toMatchObject({ k8s: { cni: 'canal' }, loadBalancers: [{}, { port: 7443 }, {}, {}] });
  });

  it('hides a bad proxy URL that may hold credentials, and shows one without', () => {
    expect(issuesOf({ ONEAPP_K8S_HTTPS_PROXY: 'https://user:s3cr3t@proxy:99999' })[0]?.shown).toBe('<hidden, 31 characters>');
    expect(issuesOf({ ONEAPP_K8S_HTTPS_PROXY: 'user:s3cr3t@proxy:3128' })[0]?.shown).toBe('<hidden, 22 characters>');
    expect(issuesOf({ ONEAPP_K8S_HTTPS_PROXY: 'https://proxy:99999' })[0]?.shown).toBe('"https://proxy:99999"');
  });

  it('shortens a long value and gives its length', () => {
    const [issue] = issuesOf({ ONEAPP_K8S_CNI_PLUGIN: 'c'.repeat(200) });
    expect(issue?.shown).toBe(`"${'c'.repeat(40)}…" (200 characters)`);
  });

  it('keeps binary junk on one line', () => {
    const junk = `\u0000\u0001\r\n\u001b[2J\u0085\u2028\ufffd${String.fromCharCode(0xd800)}`;
    const error = (() => {
      try {
        assertConfig(
          new Map([
            ['ONEAPP_K8S_SERVICE_CIDR', junk],
            ['ONEAPP_STORAGE_FILESYSTEM', junk],
          ]),
        );
      } catch (caught) {
        return caught as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.issues).toHaveLength(2);
    expect(error.message.split('\n')).toHaveLength(2);
    for (const issue of error.issues) expect(issue.shown).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
  });

  it('handles a 10 MB value: one short issue (its time is in bench/input-parsing.ts)', () => {
    const issues = issuesOf({ ONEAPP_K8S_CONTROL_PLANE_EP: 'h'.repeat(10 * 1024 * 1024), SSH_PUBLIC_KEY: 'k'.repeat(10 * 1024 * 1024) });
    expect(issues).toEqual([{ variable: 'ONEAPP_K8S_CONTROL_PLANE_EP', shown: `"${'h'.repeat(40)}…" (10485760 characters)`, expected: expect.any(String) }]);
  });

  it('decodes a large base64 YAML config', () => {
    const yaml = `apiVersion: v1\nkind: ConfigMap\ndata:\n  big: ${'x'.repeat(2 * 1024 * 1024)}\n`;
    expect(configOf({ ONEAPP_K8S_CNI_CONFIG: b64(yaml) }).k8s.cniConfig).toBe(yaml);
  });

  it('assertConfig throws a ConfigError (exit code 2) with every issue', () => {
    expect(() =>
      assertConfig(
        new Map([
          ['VMID', 'x'],
          ['SERVICE_ID', 'y'],
        ]),
      ),
    ).toThrow(ConfigError);
    try {
      assertConfig(
        new Map([
          ['VMID', 'x'],
          ['SERVICE_ID', 'y'],
        ]),
      );
    } catch (error) {
      expect((error as ConfigError).exitCode).toBe(2);
      expect((error as ConfigError).issues.map((issue) => issue.variable)).toEqual(['VMID', 'SERVICE_ID']);
    }
  });
});

describe('the config', () => {
  const config = configOf({
    ONEAPP_VROUTER_ETH0_VIP0: '10.0.0.10',
    ETH0_IP: '10.0.0.2',
    ONEAPP_K8S_METALLB_ENABLED: 'YES',
    ONEAPP_K8S_METALLB_RANGE: '10.0.0.100-10.0.0.150',
    ONEAPP_VNF_KEEPALIVED_PASSWORD: 'kapass',
    ONEAPP_VNF_KEEPALIVED_ETH1_PASSWORD: 'eth1pass',
    TOKENTXT: 'onegate-token',
    ONEAPP_K8S_HTTP_PROXY: 'http://user:p%40ss@proxy:3128',
  });

  it('is frozen all the way down', () => {
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.loadBalancers[0]?.staticServers)).toBe(true);
    expect(Object.isFrozen(config.keepalived.perNic.eth0)).toBe(true);
    expect(Object.isFrozen(config.addons.metallb.ranges[0])).toBe(true);
    expect(() => {
      (config.k8s as { cni: string }).cni = 'calico';
    }).toThrow(TypeError);
    expect(() => (config.nics as unknown as unknown[]).push({})).toThrow(TypeError);
  });

  it('lists its secrets for the logger to scrub', () => {
    expect(secretValues(config).sort()).toEqual(['eth1pass', 'kapass', 'onegate-token', 'p%40ss', 'p@ss'].sort());
  });

  it('lists ONEAPP_* and ONE_SERVICE_* names it does not know', () => {
    expect(configOf({ ONE_SERVICE_SETUP_DIR: '/opt', ONEAPP_K8S_METALB_ENABLED: 'YES', ONEAPP_VNF_DNS_NAMESERVERS: '', SSH_PUBLIC_KEY: 'k' }).unrecognized).toEqual([
      'ONEAPP_K8S_METALB_ENABLED',
      'ONE_SERVICE_SETUP_DIR',
    ]);
  });
});
