import { execa } from 'execa';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { buildServiceState } from '../../../src/emulator/index.ts';
import { BINARY, contextSh } from '../../support/binary.ts';
import { tempRoot } from '../../support/temp-root.ts';
import { masterBackend } from '../../support/vnf-context.ts';

type JsonPlan = { role: string; decision: { kind: string; reason: string }; actions: Record<string, unknown>[] };

const MASTER_PUBLISHED = { READY: 'YES', ONEGATE_K8S_MASTER: '172.20.0.101', ONEGATE_K8S_TOKEN: 'K10abc::server:secret-token', ...masterBackend('172.20.0.101') };

/** `oneke plan --json` for VM `vmId` of a 1/1/1/1 service (master published or not), from a snapshot file. */
async function plan(vmId: number, options: { masterPublished?: boolean; extra?: string[]; vars?: Record<string, string> } = {}) {
  const dir = await tempRoot();
  const root = path.join(dir, 'root');
  await fs.mkdir(root);
  const state = buildServiceState({
    serviceId: 10,
    roles: [
      { name: 'vnf', vms: [{ id: 0, nics: [{ ip: '192.168.150.100', network: 'public' }, { ip: '172.20.0.100' }], userTemplate: { READY: 'YES' } }] },
      { name: 'master', vms: [{ id: 1, ip: '172.20.0.101', userTemplate: options.masterPublished ? MASTER_PUBLISHED : {} }] },
      { name: 'worker', vms: [{ id: 2, ip: '172.20.0.102' }] },
      { name: 'storage', vms: [{ id: 3, ip: '172.20.0.103' }] },
    ],
  });
  await fs.writeFile(path.join(dir, 'state.json'), JSON.stringify(state));
  const vars = {
    ONEGATE_ENDPOINT: 'http://onegate.invalid:5030',
    VMID: String(vmId),
    TOKENTXT: state.vms[String(vmId)]?.token ?? '',
    SERVICE_ID: '10',
    ONEAPP_VROUTER_ETH0_VIP0: '192.168.150.86',
    ONEAPP_VROUTER_ETH1_VIP0: '172.20.0.86',
    ...(vmId === 0 ? { ETH0_IP: '192.168.150.100', ETH0_MASK: '255.255.255.0', ETH1_IP: '172.20.0.100', ETH1_MASK: '255.255.255.0', ONEAPP_VNF_KEEPALIVED_PASSWORD: 'vrrp-pw' } : {}),
    ...options.vars,
  };
  await fs.writeFile(path.join(dir, 'context.sh'), contextSh(vars));
  const result = await execa(
    BINARY,
    ['--root', root, '--log-level', 'error', '--context', path.join(dir, 'context.sh'), 'plan', '--json', '--onegate-snapshot', path.join(dir, 'state.json'), ...(options.extra ?? [])],
    { reject: false },
  );
  expect(result.exitCode, result.stderr).toBe(0);
  // plan changes nothing: the root is as empty as it was.
  expect(await fs.readdir(root)).toEqual([]);
  return JSON.parse(result.stdout) as JsonPlan;
}

const fileAction = (p: JsonPlan, file: string) => p.actions.filter((a) => a.kind === 'file' && a.path === file);
const keysPublished = (p: JsonPlan) => p.actions.filter((a) => a.kind === 'publish').flatMap((a) => Object.keys(a.keys as object));
const servicesOf = (p: JsonPlan) => p.actions.filter((a) => a.kind === 'service').map((a) => `${a.operation} ${a.unit}`);

describe('oneke plan --json from a OneGate snapshot', () => {
  test('the first master initialises: config.yaml 0600 masked, rke2-server, the keys of a master', async () => {
    const p = await plan(1);
    expect(p.role).toBe('master');
    expect(p.decision.kind).toBe('initialise');
    expect(fileAction(p, '/etc/rancher/rke2/config.yaml')).toEqual([
      { kind: 'file', path: '/etc/rancher/rke2/config.yaml', mode: '0600', content: '***', secret: true },
      { kind: 'file', path: '/etc/rancher/rke2/config.yaml', mode: '0600', content: '***', secret: true, values: { NODE_TOKEN: '<content of /var/lib/rancher/rke2/server/node-token>' } },
    ]);
    expect(servicesOf(p)).toEqual(['start rke2-server.service']);
    expect(keysPublished(p)).toEqual([
      'ONEGATE_K8S_NODE_NAME',
      'ONEGATE_K8S_MASTER',
      'ONEGATE_K8S_TOKEN',
      'ONEGATE_HAPROXY_LB0_IP',
      'ONEGATE_HAPROXY_LB0_PORT',
      'ONEGATE_HAPROXY_LB0_SERVER_HOST',
      'ONEGATE_HAPROXY_LB0_SERVER_PORT',
      'ONEGATE_HAPROXY_LB1_IP',
      'ONEGATE_HAPROXY_LB1_PORT',
      'ONEGATE_HAPROXY_LB1_SERVER_HOST',
      'ONEGATE_HAPROXY_LB1_SERVER_PORT',
      'ONEKE_KUBECONFIG',
    ]);
    expect(p.actions.find((a) => a.kind === 'hostname')).toEqual({ kind: 'hostname', name: 'oneke-ip-172-20-0-101' });
  });

  test('--show-secrets shows the token in config.yaml', async () => {
    const p = await plan(1, { extra: ['--show-secrets'] });
    expect(String(fileAction(p, '/etc/rancher/rke2/config.yaml')[0]?.content)).toMatch(/^token: [0-9a-f]{48}$/m);
  });

  test('a worker waits without a usable master, and joins once one is published', async () => {
    const waiting = await plan(2);
    expect(waiting.decision.kind).toBe('wait');
    // While it waits it keeps its route and nameserver (the route as on the VM's first boot).
    expect(waiting.actions.map((a) => a.argv ?? a.path)).toEqual([['ip', 'route', 'replace', 'default', 'via', '172.20.0.86', 'dev', 'eth0'], '/etc/resolv.conf']);
    const p = await plan(2, { masterPublished: true });
    expect(p.decision.kind).toBe('join-agent');
    expect(servicesOf(p)).toEqual(['mask rke2-server.service', 'start rke2-agent.service']);
    expect(keysPublished(p)).toEqual(expect.arrayContaining(['ONEGATE_K8S_NODE_NAME', 'ONEGATE_HAPROXY_LB2_SERVER_PORT', 'ONEGATE_HAPROXY_LB3_SERVER_PORT']));
    expect(JSON.stringify(p)).not.toContain('secret-token');
  });

  test('a storage node joins as an agent and publishes no ingress backend', async () => {
    const p = await plan(3, { masterPublished: true, extra: ['--show-secrets'] });
    expect(p.decision.kind).toBe('join-agent');
    expect(String(fileAction(p, '/etc/rancher/rke2/config.yaml')[0]?.content)).toContain('node.longhorn.io/create-default-disk=true:NoSchedule');
    expect(keysPublished(p)).toEqual(['ONEGATE_K8S_NODE_NAME']);
  });

  test('the VNF: keepalived (secret: its password), HAProxy with the master as backend, services', async () => {
    const p = await plan(0, { masterPublished: true });
    expect(p.role).toBe('vnf');
    expect(fileAction(p, '/etc/keepalived/keepalived.conf')[0]).toMatchObject({ mode: '0600', content: '***', secret: true });
    expect(String(fileAction(p, '/etc/haproxy/haproxy.cfg')[0]?.content)).toContain('server 172.20.0.101:6443 172.20.0.101:6443 check');
    expect(servicesOf(p)).toEqual(['reload-or-restart keepalived.service', 'reload-or-restart haproxy.service', 'restart oneke-vnf-sync.service', 'restart unbound.service']);
  });

  test('text output names the decision and every action', async () => {
    const dir = await tempRoot();
    await fs.writeFile(path.join(dir, 'c.sh'), contextSh({ VMID: '1', TOKENTXT: 'emulated-token-s10-vm1', ONEAPP_VROUTER_ETH0_VIP0: '192.168.150.86' }));
    const result = await execa(BINARY, ['--root', dir, '--log-level', 'error', '--context', path.join(dir, 'c.sh'), 'plan', '--onegate-snapshot', 'test/fixtures/onegate/service-1-1-1-1.yaml'], {
      reject: false,
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^role: {5}master\ndecision: initialise — /);
    expect(result.stdout).toContain('systemctl start rke2-server.service');
    expect(result.stdout).not.toMatch(/^token: /m);
  });
});
