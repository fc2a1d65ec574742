import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { macFromIp } from '../../../../src/emulator/index.ts';
import { ConfigError, RuntimeProblem } from '../../../../src/errors.ts';
import type { K8sRole } from '../../../../src/roles/kubernetes/join-order.ts';
import type { KubernetesFacts, KubernetesLocal } from '../../../../src/roles/kubernetes/plan-node.ts';
import { planMaster } from '../../../../src/roles/master/plan.ts';
import { planStorage } from '../../../../src/roles/storage/plan.ts';
import { planWorker } from '../../../../src/roles/worker/plan.ts';
import type { Action, Plan } from '../../../../src/plan/plan.ts';
import { clusterFrom, configFrom, K8S_CONTEXT } from '../../../support/cluster.ts';

const PLANS = { master: planMaster, worker: planWorker, storage: planStorage } satisfies Record<K8sRole, (facts: KubernetesFacts) => Plan>;

const READY_MASTER = { ONEGATE_K8S_MASTER: '172.20.0.1', ONEGATE_K8S_TOKEN: 'K10peer::server:abc', READY: 'YES' };

function local(ip: string, overrides: Partial<KubernetesLocal> = {}): KubernetesLocal {
  return {
    interfaces: [
      { name: 'lo', mac: '00:00:00:00:00:00', ipv4: ['127.0.0.1'] },
      { name: 'eth0', mac: macFromIp(ip), ipv4: [ip] },
    ],
    defaultRoute: { gateway: '172.20.0.254', dev: 'eth0' },
    existingConfig: {},
    newToken: 'fresh-token-0123456789',
    reachableMasters: [1],
    preparedManifests: ['one-longhorn.yaml', 'one-metallb.yaml', 'one-traefik.yaml'],
    disk: undefined,
    ...overrides,
  };
}

/** The plan of VM `self` (role `role`) in a 1 master / 1 worker / 1 storage service. */
function planFor(
  role: K8sRole,
  self: number,
  vars: Record<string, string> = {},
  options: { masterTemplate?: Record<string, string>; selfTemplate?: Record<string, string>; local?: Partial<KubernetesLocal> } = {},
): Plan {
  const ipOf = (id: number) => `172.20.0.${id}`;
  const template = (id: number) => ({ ...(id === 1 ? (options.masterTemplate ?? {}) : {}), ...(id === self ? (options.selfTemplate ?? {}) : {}) });
  const cluster = clusterFrom(
    {
      serviceId: 10,
      roles: [
        { name: 'vnf', vms: [{ id: 0, ip: '172.20.0.200' }] },
        { name: 'master', vms: [{ id: 1, ip: ipOf(1), userTemplate: template(1) }, ...(self === 2 ? [{ id: 2, ip: ipOf(2), userTemplate: template(2) }] : [])] },
        { name: 'worker', vms: [{ id: 3, ip: ipOf(3), userTemplate: template(3) }] },
        { name: 'storage', vms: [{ id: 4, ip: ipOf(4), userTemplate: template(4) }] },
      ],
    },
    self,
  );
  const config = configFrom({ ...K8S_CONTEXT, VMID: String(self), ...vars });
  return PLANS[role]({ config, cluster, local: local(ipOf(self), options.local) });
}

const files = (plan: Plan) => plan.actions.filter((a): a is Extract<Action, { kind: 'file' }> => a.kind === 'file');
const fileAt = (plan: Plan, path: string, nth = 0) => files(plan).filter((f) => f.path === path)[nth];
const published = (plan: Plan) => plan.actions.filter((a): a is Extract<Action, { kind: 'publish' }> => a.kind === 'publish');
const services = (plan: Plan) => plan.actions.filter((a) => a.kind === 'service').map((a) => (a.kind === 'service' ? `${a.operation} ${a.unit}` : ''));
const yamlOf = (plan: Plan, nth = 0) => parse(fileAt(plan, '/etc/rancher/rke2/config.yaml', nth)?.content ?? 'null') as Record<string, unknown>;

describe('the first master initialises', () => {
  const plan = planFor('master', 1);

  test('decision and services', () => {
    expect(plan.decision.kind).toBe('initialise');
    expect(services(plan)).toEqual(['start rke2-server.service']);
  });

  test('config.yaml before the start has exactly the keys of section 6, mode 0600, a fresh token', () => {
    const config = fileAt(plan, '/etc/rancher/rke2/config.yaml');
    expect(config).toMatchObject({ mode: 0o600, secret: true });
    expect(yamlOf(plan)).toEqual({
      'node-name': 'oneke-ip-172-20-0-1',
      token: 'fresh-token-0123456789',
      'tls-san': ['localhost', '127.0.0.1', '192.168.150.86'],
      'node-taint': ['CriticalAddonsOnly=true:NoExecute'],
      disable: ['rke2-ingress-nginx'],
      cni: ['cilium'],
      'cluster-cidr': '10.42.0.0/16',
      'service-cidr': '10.43.0.0/16',
      'disable-kube-proxy': true,
      'disable-cloud-controller': false,
    });
  });

  test('after the start the config is rewritten with the supervisor and the token from node-token', () => {
    const rewritten = fileAt(plan, '/etc/rancher/rke2/config.yaml', 1);
    expect(rewritten?.values).toEqual({ NODE_TOKEN: { from: 'file', path: '/var/lib/rancher/rke2/server/node-token' } });
    expect(yamlOf(plan, 1)).toMatchObject({ server: 'https://192.168.150.86:9345', token: '${NODE_TOKEN}', 'node-name': 'oneke-ip-172-20-0-1' });
    const order = plan.actions.map((a) => a.kind);
    expect(order.indexOf('service')).toBeLessThan(plan.actions.indexOf(rewritten as Action));
  });

  test('publishes node name, master IP and token, LB0/LB1 after its own /readyz, then the kubeconfig', () => {
    const keys = published(plan).map((p) => p.keys);
    expect(keys).toEqual([
      { ONEGATE_K8S_NODE_NAME: 'oneke-ip-172-20-0-1' },
      { ONEGATE_K8S_MASTER: '172.20.0.1', ONEGATE_K8S_TOKEN: { from: 'file', path: '/var/lib/rancher/rke2/server/node-token' } },
      {
        ONEGATE_HAPROXY_LB0_IP: '192.168.150.86',
        ONEGATE_HAPROXY_LB0_PORT: '9345',
        ONEGATE_HAPROXY_LB0_SERVER_HOST: '172.20.0.1',
        ONEGATE_HAPROXY_LB0_SERVER_PORT: '9345',
        ONEGATE_HAPROXY_LB1_IP: '192.168.150.86',
        ONEGATE_HAPROXY_LB1_PORT: '6443',
        ONEGATE_HAPROXY_LB1_SERVER_HOST: '172.20.0.1',
        ONEGATE_HAPROXY_LB1_SERVER_PORT: '6443',
      },
      { ONEKE_KUBECONFIG: { from: 'file', path: '/etc/rancher/rke2/rke2.yaml', kubeconfigFor: 'https://192.168.150.86:6443' } },
    ]);
    const ownReadyz = plan.actions.findIndex((a) => a.kind === 'wait' && a.probe.kind === 'https' && a.probe.url === 'https://172.20.0.1:6443/readyz');
    const lbPublish = plan.actions.findIndex((a) => a.kind === 'publish' && 'ONEGATE_HAPROXY_LB0_IP' in a.keys);
    expect(ownReadyz).toBeGreaterThan(0);
    expect(lbPublish).toBeGreaterThan(ownReadyz);
    const nodesReady = plan.actions.findIndex((a) => a.kind === 'wait' && a.probe.kind === 'nodes-ready');
    const kubeconfig = plan.actions.findIndex((a) => a.kind === 'publish' && 'ONEKE_KUBECONFIG' in a.keys);
    expect(kubeconfig).toBeGreaterThan(nodesReady);
  });

  test('node setup: hostname, default route and DNS through the private VIP', () => {
    expect(plan.actions).toContainEqual({ kind: 'hostname', name: 'oneke-ip-172-20-0-1' });
    expect(plan.actions).toContainEqual({ kind: 'command', argv: ['ip', 'route', 'replace', 'default', 'via', '172.20.0.86', 'dev', 'eth0'], why: expect.any(String) });
    expect(fileAt(plan, '/etc/resolv.conf')?.content).toBe('nameserver 172.20.0.86\n');
  });

  test('the CNI manifest goes to the RKE2 manifests folder; enabled add-ons are linked', () => {
    expect(files(plan).some((f) => f.path.startsWith('/var/lib/rancher/rke2/server/manifests/') && f.content.includes('rke2-cilium'))).toBe(true);
    expect(plan.actions.some((a) => a.kind === 'symlink')).toBe(false);
    const withAddons = planFor('master', 1, { ONEAPP_K8S_LONGHORN_ENABLED: 'YES', ONEAPP_K8S_TRAEFIK_ENABLED: 'YES' });
    expect(withAddons.actions.filter((a) => a.kind === 'symlink')).toEqual([
      { kind: 'symlink', path: '/var/lib/rancher/rke2/server/manifests/one-longhorn.yaml', target: '/var/lib/one-appliance/manifests/one-longhorn.yaml' },
      { kind: 'symlink', path: '/var/lib/rancher/rke2/server/manifests/one-traefik.yaml', target: '/var/lib/one-appliance/manifests/one-traefik.yaml' },
    ]);
  });

  test('a route that is right already is left alone', () => {
    const settled = planFor('master', 1, {}, { local: { defaultRoute: { gateway: '172.20.0.86', dev: 'eth0' } } });
    expect(settled.actions.some((a) => a.kind === 'command' && a.argv[0] === 'ip')).toBe(false);
  });

  test('a re-run reuses the token and server of an earlier run (a crash never re-initialises)', () => {
    const again = planFor('master', 1, {}, { local: { existingConfig: { token: 'K10old::server:x', server: 'https://192.168.150.86:9345' } } });
    expect(yamlOf(again)).toMatchObject({ token: 'K10old::server:x', server: 'https://192.168.150.86:9345' });
  });
});

describe('options of section 3.2 in config.yaml', () => {
  test.each<[string, Record<string, string>, Record<string, unknown>]>([
    ['multus with canal', { ONEAPP_K8S_MULTUS_ENABLED: 'YES', ONEAPP_K8S_CNI_PLUGIN: 'canal' }, { cni: ['multus', 'canal'], 'disable-kube-proxy': false }],
    ['calico', { ONEAPP_K8S_CNI_PLUGIN: 'calico' }, { cni: ['calico'], 'disable-kube-proxy': false }],
    ['cloud controller disabled', { ONEAPP_RKE2_CLOUD_CONTROLLER_ENABLED: 'NO' }, { 'disable-cloud-controller': true }],
    ['CIDRs', { ONEAPP_K8S_CLUSTER_CIDR: '10.142.0.0/16', ONEAPP_K8S_SERVICE_CIDR: '10.143.0.0/16' }, { 'cluster-cidr': '10.142.0.0/16', 'service-cidr': '10.143.0.0/16' }],
    ['extra SANs, unique', { ONEAPP_K8S_EXTRA_SANS: 'k8s.example.com,192.168.150.86' }, { 'tls-san': ['k8s.example.com', '192.168.150.86'] }],
    [
      'explicit endpoints, and the public VIP the name stands for',
      { ONEAPP_K8S_CONTROL_PLANE_EP: 'api.example.com:7443' },
      { 'tls-san': ['localhost', '127.0.0.1', 'api.example.com', '192.168.150.86'] },
    ],
    [
      'the official template without VIPs: its extra SANs and the endpoint name',
      {
        ONEAPP_VROUTER_ETH0_VIP0: '',
        ONEAPP_VROUTER_ETH1_VIP0: '',
        FALLBACK_GW: '172.20.0.200',
        ONEAPP_RKE2_SUPERVISOR_EP: 'ep0.eth0.vr:9345',
        ONEAPP_K8S_CONTROL_PLANE_EP: 'ep0.eth0.vr:6443',
        ONEAPP_K8S_EXTRA_SANS: 'localhost,127.0.0.1,ep0.eth0.vr,192.168.150.10',
      },
      { 'tls-san': ['localhost', '127.0.0.1', 'ep0.eth0.vr', '192.168.150.10'] },
    ],
  ])('%s', (_name, vars, expected) => {
    expect(yamlOf(planFor('master', 1, vars))).toMatchObject(expected);
  });

  test('a proxy gives /etc/default/rke2-server, 0600, with the node subnet in NO_PROXY', () => {
    const plan = planFor('master', 1, { ONEAPP_K8S_HTTP_PROXY: 'http://proxy.example.com:3128', ETH0_IP: '172.20.0.1', ETH0_MASK: '255.255.255.0' });
    const env = fileAt(plan, '/etc/default/rke2-server');
    expect(env?.mode).toBe(0o600);
    expect(env?.content).toMatch(/^HTTP_PROXY=http:\/\/proxy.example.com:3128\n/);
    const noProxy = env?.content.match(/^NO_PROXY=(.*)$/m)?.[1]?.split(',') ?? [];
    expect(noProxy).toEqual(expect.arrayContaining(['127.0.0.0/8', 'localhost', '10.42.0.0/16', '10.43.0.0/16', '172.20.0.0/24']));
    expect(fileAt(planFor('master', 1), '/etc/default/rke2-server')).toBeUndefined();
  });
});

describe('joining', () => {
  test('a second master joins through the supervisor with the published token, then publishes as a master', () => {
    const plan = planFor('master', 2, {}, { masterTemplate: READY_MASTER });
    expect(plan.decision.kind).toBe('join-server');
    expect(yamlOf(plan)).toMatchObject({ 'node-name': 'oneke-ip-172-20-0-2', server: 'https://192.168.150.86:9345', token: 'K10peer::server:abc', cni: ['cilium'] });
    expect(files(plan).filter((f) => f.path === '/etc/rancher/rke2/config.yaml')).toHaveLength(1);
    expect(published(plan).map((p) => Object.keys(p.keys))).toEqual([
      ['ONEGATE_K8S_NODE_NAME'],
      ['ONEGATE_K8S_MASTER', 'ONEGATE_K8S_TOKEN'],
      expect.arrayContaining(['ONEGATE_HAPROXY_LB0_IP', 'ONEGATE_HAPROXY_LB1_SERVER_PORT']),
      ['ONEKE_KUBECONFIG'],
    ]);
  });

  test('a worker has node-name, server and token only; rke2-server masked; LB2/LB3 on NodePorts', () => {
    const plan = planFor('worker', 3, {}, { masterTemplate: READY_MASTER });
    expect(plan.decision.kind).toBe('join-agent');
    expect(yamlOf(plan)).toEqual({ 'node-name': 'oneke-ip-172-20-0-3', server: 'https://192.168.150.86:9345', token: 'K10peer::server:abc' });
    expect(services(plan)).toEqual(['mask rke2-server.service', 'start rke2-agent.service']);
    expect(published(plan).at(-1)?.keys).toEqual({
      ONEGATE_HAPROXY_LB2_IP: '192.168.150.86',
      ONEGATE_HAPROXY_LB2_PORT: '443',
      ONEGATE_HAPROXY_LB2_SERVER_HOST: '172.20.0.3',
      ONEGATE_HAPROXY_LB2_SERVER_PORT: '32443',
      ONEGATE_HAPROXY_LB3_IP: '192.168.150.86',
      ONEGATE_HAPROXY_LB3_PORT: '80',
      ONEGATE_HAPROXY_LB3_SERVER_HOST: '172.20.0.3',
      ONEGATE_HAPROXY_LB3_SERVER_PORT: '32080',
    });
    expect(files(plan).some((f) => f.path.includes('/server/manifests/'))).toBe(false);
  });

  test('a storage node adds the Longhorn taint and label and publishes no ingress backend', () => {
    const plan = planFor('storage', 4, {}, { masterTemplate: READY_MASTER });
    expect(yamlOf(plan)).toEqual({
      'node-name': 'oneke-ip-172-20-0-4',
      server: 'https://192.168.150.86:9345',
      token: 'K10peer::server:abc',
      'node-taint': ['node.longhorn.io/create-default-disk=true:NoSchedule'],
      'node-label': ['node.longhorn.io/create-default-disk=true'],
    });
    expect(published(plan).map((p) => Object.keys(p.keys))).toEqual([['ONEGATE_K8S_NODE_NAME']]);
  });

  test('waiting keeps only the route and nameserver, and carries the configured deadline', () => {
    const plan = planFor('worker', 3, { ONEAPP_K8S_WAIT_TIMEOUT: '300' });
    expect(plan).toMatchObject({ decision: { kind: 'wait', deadlineSeconds: 300 } });
    expect(plan.actions).toEqual([
      { kind: 'command', argv: ['ip', 'route', 'replace', 'default', 'via', '172.20.0.86', 'dev', 'eth0'], why: expect.any(String) },
      { kind: 'file', path: '/etc/resolv.conf', mode: 0o644, content: 'nameserver 172.20.0.86\n' },
    ]);
  });
});

describe('restarting a READY node', () => {
  test('starts RKE2 only', () => {
    const plan = planFor('worker', 3, {}, { masterTemplate: READY_MASTER, selfTemplate: { READY: 'YES', ONEGATE_K8S_NODE_NAME: 'oneke-ip-172-20-0-3' } });
    expect(plan.decision.kind).toBe('restart');
    expect(services(plan)).toEqual(['mask rke2-server.service', 'start rke2-agent.service']);
    expect(published(plan)).toEqual([]);
    expect(fileAt(plan, '/etc/rancher/rke2/config.yaml')).toBeUndefined();
  });

  test('stops with a clear error when the node name changed', () => {
    expect(() => planFor('worker', 3, {}, { selfTemplate: { READY: 'YES', ONEGATE_K8S_NODE_NAME: 'oneke-ip-172-20-0-99' } })).toThrow(
      expect.objectContaining({ code: 'ONEKE_NODE_IDENTITY_CHANGED', message: expect.stringContaining('joined as oneke-ip-172-20-0-99') }),
    );
  });
});

describe('bad situations', () => {
  test('no endpoint: a configuration error naming the variables', () => {
    const vars = { ONEAPP_VROUTER_ETH0_VIP0: '' };
    expect(() => planFor('master', 1, vars)).toThrow(ConfigError);
  });

  test('no NIC of OneGate on a local interface: an error that lists them', () => {
    expect(() => planFor('master', 1, {}, { local: { interfaces: [] } })).toThrow(RuntimeProblem);
  });
});

describe('endpoints that are names of the VNF DNS (the official template)', () => {
  const official = {
    ONEAPP_VROUTER_ETH0_VIP0: '',
    ONEAPP_VROUTER_ETH1_VIP0: '',
    FALLBACK_GW: '172.20.0.200',
    FALLBACK_DNS: '172.20.0.200',
    ONEAPP_RKE2_SUPERVISOR_EP: 'ep0.eth0.vr:9345',
    ONEAPP_K8S_CONTROL_PLANE_EP: 'ep0.eth0.vr:6443',
    ONEAPP_K8S_HTTP_PROXY: 'http://proxy.example.com:3128',
  };

  test('every use of the endpoints takes the name: server, readyz, nodes, kubeconfig, NO_PROXY; the nameserver is the VNF', () => {
    const plan = planFor('master', 1, official);
    expect(yamlOf(plan, 1)).toMatchObject({ server: 'https://ep0.eth0.vr:9345' });
    const waits = plan.actions.flatMap((a) => (a.kind === 'wait' && 'url' in a.probe ? [a.probe.url] : []));
    expect(waits).toEqual(['https://172.20.0.1:6443/readyz', 'https://ep0.eth0.vr:6443/readyz', 'https://ep0.eth0.vr:6443/api/v1/nodes']);
    expect(published(plan).at(-1)?.keys.ONEKE_KUBECONFIG).toEqual({ from: 'file', path: '/etc/rancher/rke2/rke2.yaml', kubeconfigFor: 'https://ep0.eth0.vr:6443' });
    expect(fileAt(plan, '/etc/default/rke2-server')?.content).toMatch(/^NO_PROXY=127\.0\.0\.0\/8,localhost,ep0\.eth0\.vr,/m);
    expect(fileAt(plan, '/etc/resolv.conf')?.content).toBe('nameserver 172.20.0.200\n');
    const worker = planFor('worker', 3, official, { masterTemplate: READY_MASTER });
    expect(yamlOf(worker)).toMatchObject({ server: 'https://ep0.eth0.vr:9345' });
  });
});
