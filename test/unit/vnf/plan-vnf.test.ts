import { describe, expect, test } from 'vitest';
import type { Action, Plan } from '../../../src/plan/plan.ts';
import { planVnf } from '../../../src/vnf/plan-vnf.ts';
import { clusterFrom, configFrom } from '../../support/cluster.ts';
import { masterBackend, VNF_CONTEXT } from '../../support/vnf-context.ts';

function planFor(vars: Record<string, string>, options: { ready?: boolean; down?: string[] } = {}): Plan {
  const cluster = clusterFrom(
    {
      serviceId: 10,
      roles: [
        { name: 'vnf', vms: [{ id: 0, ip: '172.20.0.100', userTemplate: options.ready ? { READY: 'YES' } : {} }] },
        { name: 'master', vms: [{ id: 1, ip: '172.20.0.101', userTemplate: masterBackend('172.20.0.101') }] },
      ],
    },
    0,
  );
  return planVnf({ config: configFrom({ ...VNF_CONTEXT, ...vars }), cluster, local: { downInterfaces: options.down ?? [] } });
}

const file = (plan: Plan, path: string) => plan.actions.find((a): a is Extract<Action, { kind: 'file' }> => a.kind === 'file' && a.path === path);
const services = (plan: Plan) => plan.actions.flatMap((a) => (a.kind === 'service' ? [`${a.operation} ${a.unit}`] : []));

describe('planVnf', () => {
  test('keepalived: one instance per NIC with a VIP, in one sync group, password kept secret', () => {
    const conf = file(planFor({}), '/etc/keepalived/keepalived.conf');
    expect(conf).toMatchObject({ mode: 0o600, secret: true });
    expect(conf?.content).toMatch(/vrrp_sync_group ONEKE/);
    expect(conf?.content).toMatch(/vrrp_instance ETH0[\s\S]*interface eth0[\s\S]*virtual_router_id 11[\s\S]*192\.168\.150\.86\/24 dev eth0/);
    expect(conf?.content).toMatch(/vrrp_instance ETH1[\s\S]*interface eth1[\s\S]*172\.20\.0\.86\/24 dev eth1/);
    expect(conf?.content).toContain('auth_pass "vrrp-pw"');
  });

  test.each([
    ['a management NIC', { ETH1_VROUTER_MANAGEMENT: 'YES' }],
    ['a skipped NIC', { ONEAPP_VNF_KEEPALIVED_ETH1_SKIP: 'YES' }],
    ['a NIC outside the selected interfaces', { ONEAPP_VNF_KEEPALIVED_INTERFACES: 'eth0' }],
  ])('%s gets no VRRP instance', (_name, vars) => {
    const conf = file(planFor(vars), '/etc/keepalived/keepalived.conf')?.content ?? '';
    expect(conf).toContain('vrrp_instance ETH0');
    expect(conf).not.toContain('vrrp_instance ETH1');
  });

  test('per-NIC overrides win over the global values', () => {
    const conf = file(planFor({ ONEAPP_VNF_KEEPALIVED_ETH1_VRID: '42', ONEAPP_VNF_KEEPALIVED_ETH1_PRIORITY: '150', ONEAPP_VNF_KEEPALIVED_PRIORITY: '90' }), '/etc/keepalived/keepalived.conf')?.content ?? '';
    expect(conf).toMatch(/vrrp_instance ETH1[\s\S]*virtual_router_id 42[\s\S]*priority 150/);
    expect(conf).toMatch(/vrrp_instance ETH0[\s\S]*priority 90/);
  });

  test('HAProxy: frontends on the VIP for the four LBs, backends from the service, checked before loading', () => {
    const plan = planFor({});
    const cfg = file(plan, '/etc/haproxy/haproxy.cfg')?.content ?? '';
    for (const port of [9345, 6443, 443, 80]) expect(cfg).toContain(`bind 192.168.150.86:${port}`);
    expect(cfg).toMatch(/server 172\.20\.0\.101:9345 172\.20\.0\.101:9345 check port 6443/);
    const check = plan.actions.findIndex((a) => a.kind === 'command' && a.argv[0] === 'haproxy');
    const reload = plan.actions.findIndex((a) => a.kind === 'service' && a.unit === 'haproxy.service');
    expect(check).toBeGreaterThan(-1);
    expect(reload).toBeGreaterThan(check);
    expect(services(plan)).toEqual(['reload-or-restart keepalived.service', 'reload-or-restart haproxy.service', 'restart oneke-vnf-sync.service', 'restart dnsmasq.service']);
  });

  test('NAT: forwarding on and masquerade out of eth0; without NAT or routing our table is removed', () => {
    const plan = planFor({});
    expect(file(plan, '/etc/sysctl.d/60-oneke-vnf.conf')?.content).toContain('net.ipv4.ip_forward = 1');
    expect(file(plan, '/etc/nftables.d/oneke.nft')?.content).toMatch(/oifname \{ "eth0" \} masquerade/);
    const off = planFor({ ONEAPP_VNF_NAT4_ENABLED: 'NO' });
    expect(file(off, '/etc/sysctl.d/60-oneke-vnf.conf')?.content).toContain('net.ipv4.ip_forward = 0');
    expect(file(off, '/etc/nftables.d/oneke.nft')?.content).not.toContain('masquerade');
  });

  test('a NIC that carries only a VIP is brought up; others are left alone', () => {
    const plan = planFor({}, { down: ['eth1', 'eth5'] });
    const links = plan.actions.filter((a) => a.kind === 'command' && a.argv[0] === 'ip').map((a) => (a.kind === 'command' ? a.argv.join(' ') : ''));
    expect(links).toEqual(['ip link set dev eth1 up']);
  });

  test('a READY VNF re-renders from the context and starts the same services', () => {
    const again = planFor({ ONEAPP_VNF_HAPROXY_LB3_PORT: '8080' }, { ready: true });
    expect(again.decision.kind).toBe('restart');
    expect(file(again, '/etc/haproxy/haproxy.cfg')?.content).toContain('bind 192.168.150.86:8080');
    expect(services(again)).toEqual(services(planFor({})));
  });

  test('no VIP and no load balancer IP: neither keepalived nor HAProxy', () => {
    const plan = planFor({ ONEAPP_VROUTER_ETH0_VIP0: '', ONEAPP_VROUTER_ETH1_VIP0: '' });
    expect(services(plan)).toEqual([]);
    expect(file(plan, '/etc/haproxy/haproxy.cfg')).toBeUndefined();
  });
});

describe('DNS on the private VIP', () => {
  test('dnsmasq answers on the private VIP, forwarding to the NICs\' nameservers, checked before it loads', async () => {
    const plan = planFor({ ETH0_DNS: '1.1.1.1 8.8.8.8' });
    const conf = file(plan, '/etc/dnsmasq.d/oneke.conf')?.content ?? '';
    expect(conf).toContain('listen-address=172.20.0.86');
    expect(conf).toContain('bind-dynamic');
    expect(conf.match(/^server=.*$/gm)).toEqual(['server=1.1.1.1', 'server=8.8.8.8']);
    expect(services(plan)).toContain('restart dnsmasq.service');
    // The real dnsmasq accepts it.
    const { execa } = await import('execa');
    const { writeFile, mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = `${await mkdtemp(`${tmpdir()}/oneke-dns-`)}/oneke.conf`;
    await writeFile(path, conf);
    const check = await execa('dnsmasq', ['--test', '-C', path], { reject: false });
    expect(check.exitCode, check.stderr).toBe(0);
  });

  test('without DNS enabled, or without a private VIP, no dnsmasq', () => {
    expect(file(planFor({ ONEAPP_VNF_DNS_ENABLED: 'NO' }), '/etc/dnsmasq.d/oneke.conf')).toBeUndefined();
    expect(file(planFor({ ONEAPP_VROUTER_ETH1_VIP0: '' }), '/etc/dnsmasq.d/oneke.conf')).toBeUndefined();
  });
});
