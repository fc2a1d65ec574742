import { describe, expect, test } from 'vitest';
import type { Action, Plan } from '../../../../src/plan/plan.ts';
import { ConfigError } from '../../../../src/errors.ts';
import { PlaceholderError } from '../../../../src/config/placeholders.ts';
import type { VrrpInstance } from '../../../../src/render/keepalived-conf.ts';
import { planVnf, vrrpInstances } from '../../../../src/roles/vnf/plan.ts';
import { clusterFrom, configFrom } from '../../../support/cluster.ts';
import { masterBackend, VNF_CONTEXT } from '../../../support/vnf-context.ts';

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

function planVnfWith(vars: Record<string, string>, resolvConf: string[]): Plan {
  const cluster = clusterFrom({ serviceId: 10, roles: [{ name: 'vnf', vms: [{ id: 0, ip: '172.20.0.100', userTemplate: {} }] }] }, 0);
  return planVnf({ config: configFrom({ ...VNF_CONTEXT, ...vars }), cluster, local: { downInterfaces: [], resolvConf } });
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
    const conf =
      file(planFor({ ONEAPP_VNF_KEEPALIVED_ETH1_VRID: '42', ONEAPP_VNF_KEEPALIVED_ETH1_PRIORITY: '150', ONEAPP_VNF_KEEPALIVED_PRIORITY: '90' }), '/etc/keepalived/keepalived.conf')?.content ?? '';
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
    expect(services(plan)).toEqual(['reload-or-restart keepalived.service', 'reload-or-restart haproxy.service', 'restart oneke-vnf-sync.service', 'restart unbound.service']);
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

  test("no VIP at all (one VNF): no keepalived; HAProxy on the VNF's own public IP, DNS and NAT still", () => {
    const plan = planFor({ ONEAPP_VROUTER_ETH0_VIP0: '', ONEAPP_VROUTER_ETH1_VIP0: '' });
    expect(services(plan)).toEqual(['reload-or-restart haproxy.service', 'restart oneke-vnf-sync.service', 'restart unbound.service']);
    expect(file(plan, '/etc/keepalived/keepalived.conf')).toBeUndefined();
    const cfg = file(plan, '/etc/haproxy/haproxy.cfg')?.content ?? '';
    for (const port of [9345, 6443, 443, 80]) expect(cfg).toContain(`bind 192.168.150.100:${port}`);
    expect(file(plan, '/etc/nftables.d/oneke.nft')?.content).toContain('masquerade');
  });

  test('no VIP and no eth0: no load balancer at all', () => {
    const plan = planFor({ ONEAPP_VROUTER_ETH0_VIP0: '', ONEAPP_VROUTER_ETH1_VIP0: '', ETH0_IP: '', ETH0_MASK: '', ETH0_MAC: '' });
    expect(file(plan, '/etc/haproxy/haproxy.cfg')).toBeUndefined();
  });
});

describe('DNS (unbound)', () => {
  const conf = (plan: Plan) => file(plan, '/etc/unbound/unbound.conf')?.content ?? '';

  test('the zone, every address of the VNF, its subnets; checked before unbound restarts', async () => {
    const plan = planFor({});
    const text = conf(plan);
    expect(text).toContain('local-zone: "vr." static');
    expect(text).toContain('local-data: "ep0.eth0.vr. IN A 192.168.150.86"');
    expect(text).toContain('local-data: "ip0.eth1.vr. IN A 172.20.0.100"');
    expect(text).toMatch(/interface: 0\.0\.0\.0\n\s+interface-automatic: yes/);
    expect(text).toContain('access-control: 172.20.0.0/24 allow');
    expect(text).toContain('access-control: 192.168.150.0/24 allow');
    // USE_ROOTSERVERS defaults to YES, as in the reference: no forward zone.
    expect(text).not.toContain('forward-zone');
    const check = plan.actions.findIndex((a) => a.kind === 'command' && a.argv[0] === 'unbound-checkconf');
    const restart = plan.actions.findIndex((a) => a.kind === 'service' && a.unit === 'unbound.service');
    expect(check).toBeGreaterThan(-1);
    expect(restart).toBeGreaterThan(check);
    // The real unbound accepts it.
    const { execa } = await import('execa');
    const { writeFile, mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = `${await mkdtemp(`${tmpdir()}/oneke-dns-`)}/unbound.conf`;
    await writeFile(path, text);
    const result = await execa('unbound-checkconf', [path], { reject: false });
    expect(result.exitCode, result.stderr).toBe(0);
  });

  test('the official template: eth1 only (its IP and VIP, freebind), forwarding to the nameservers', () => {
    const text = conf(planFor({ ONEAPP_VNF_DNS_INTERFACES: 'eth1', ONEAPP_VNF_DNS_NAMESERVERS: '1.1.1.1,8.8.8.8', ONEAPP_VNF_DNS_USE_ROOTSERVERS: 'NO' }));
    expect(text.match(/^ {4}interface: .*$/gm)).toEqual(['    interface: 127.0.0.1', '    interface: 172.20.0.86', '    interface: 172.20.0.100']);
    expect(text).toContain('ip-freebind: yes');
    expect(text).toMatch(/forward-zone:\n\s+name: "\."\n\s+forward-addr: 1\.1\.1\.1\n\s+forward-addr: 8\.8\.8\.8/);
  });

  test("neither nameservers nor root servers: the VNF's own resolvers, never itself", () => {
    const plan = planVnfWith({ ONEAPP_VNF_DNS_USE_ROOTSERVERS: 'NO', ETH0_DNS: '192.168.150.1' }, ['127.0.0.1', '10.9.9.9', '172.20.0.86']);
    expect(conf(plan).match(/forward-addr: .*/g)).toEqual(['forward-addr: 192.168.150.1', 'forward-addr: 10.9.9.9']);
    expect(plan.decision.reason).toContain("forwarding to the VNF's resolvers 192.168.150.1 10.9.9.9");
  });

  test('TCP/UDP switches, timeout, cache TTL, allowed networks and the domain are honoured', () => {
    const text = conf(
      planFor({
        ONEAPP_VNF_DNS_UDP_DISABLED: 'YES',
        ONEAPP_VNF_DNS_UPSTREAM_TIMEOUT: '500',
        ONEAPP_VNF_DNS_MAX_CACHE_TTL: '60',
        ONEAPP_VNF_DNS_ALLOWED_NETWORKS: '10.0.0.0/8',
        ONEAPP_VNF_DNS_CLUSTER_DOMAIN: 'K8s.Example.',
      }),
    );
    expect(text).toContain('do-udp: no');
    expect(text).toContain('do-tcp: yes');
    expect(text).toContain('tcp-upstream: yes');
    expect(text).toContain('unknown-server-time-limit: 500');
    expect(text).toContain('cache-max-ttl: 60');
    expect(text.match(/access-control: .* allow/g)).toEqual(['access-control: 127.0.0.0/8 allow', 'access-control: ::1/128 allow', 'access-control: 10.0.0.0/8 allow']);
    expect(text).toContain('local-data: "vip0.eth1.k8s.example. IN A 172.20.0.86"');
  });

  test("DNS without any VIP still runs, on the VNF's own addresses", () => {
    const text = conf(planFor({ ONEAPP_VROUTER_ETH0_VIP0: '', ONEAPP_VROUTER_ETH1_VIP0: '', ONEAPP_VNF_DNS_INTERFACES: 'eth1' }));
    expect(text).toContain('interface: 172.20.0.100');
    expect(text).toContain('local-data: "ep0.eth0.vr. IN A 192.168.150.100"');
  });

  test('DNS disabled: no unbound', () => {
    const plan = planFor({ ONEAPP_VNF_DNS_ENABLED: 'NO' });
    expect(file(plan, '/etc/unbound/unbound.conf')).toBeUndefined();
    expect(services(plan)).not.toContain('restart unbound.service');
  });
});

describe('keepalived as the official VNF needs it', () => {
  const vips = (instance: VrrpInstance) => instance.vips.map((v) => (typeof v === 'string' ? `${v} dev ${instance.interface}` : `${v.address} dev ${v.interface}`));
  const summary = (vars: Record<string, string>, serviceId?: number) =>
    vrrpInstances(configFrom({ ...VNF_CONTEXT, ...vars }), serviceId).map((i) => ({ name: i.name, vrid: i.vrid, vips: vips(i), routes: i.routes }));

  test.each([
    [
      'default: one instance per NIC with a VIP',
      {},
      [
        { name: 'ETH0', vrid: 11, vips: ['192.168.150.86/24 dev eth0'], routes: undefined },
        { name: 'ETH1', vrid: 11, vips: ['172.20.0.86/24 dev eth1'], routes: undefined },
      ],
    ],
    [
      "ETH0_SKIP: the public VIP moves inside eth1's instance",
      { ONEAPP_VNF_KEEPALIVED_ETH0_SKIP: 'YES' },
      [{ name: 'ETH1', vrid: 11, vips: ['172.20.0.86/24 dev eth1', '192.168.150.86/24 dev eth0'], routes: undefined }],
    ],
    [
      'ETH0_SKIP without a private VIP: eth1 still carries the public one',
      { ONEAPP_VNF_KEEPALIVED_ETH0_SKIP: 'YES', ONEAPP_VROUTER_ETH1_VIP0: '' },
      [{ name: 'ETH1', vrid: 11, vips: ['192.168.150.86/24 dev eth0'], routes: undefined }],
    ],
    [
      'ETH0_SKIP, the VRIDs differ: eth2 with the same VRID carries it',
      { ONEAPP_VNF_KEEPALIVED_ETH0_SKIP: 'YES', ONEAPP_VNF_KEEPALIVED_ETH0_VRID: '50', ONEAPP_VNF_KEEPALIVED_ETH2_VRID: '50', ETH2_IP: '10.2.0.1', ETH2_MASK: '255.255.0.0' },
      [
        { name: 'ETH1', vrid: 11, vips: ['172.20.0.86/24 dev eth1'], routes: undefined },
        { name: 'ETH2', vrid: 50, vips: ['192.168.150.86/24 dev eth0'], routes: undefined },
      ],
    ],
    ['no VIP at all: no instance', { ONEAPP_VROUTER_ETH0_VIP0: '', ONEAPP_VROUTER_ETH1_VIP0: '' }, []],
    [
      'a skipped NIC with only a VIP keeps its gateway across failover',
      { ONEAPP_VNF_KEEPALIVED_ETH2_SKIP: 'YES', ONEAPP_VROUTER_ETH2_VIP0: '10.2.0.5/16', ETH2_GATEWAY: '10.2.0.254' },
      [
        { name: 'ETH0', vrid: 11, vips: ['192.168.150.86/24 dev eth0', '10.2.0.5/16 dev eth2'], routes: [{ destination: '0.0.0.0/0', via: '10.2.0.254', interface: 'eth2' }] },
        { name: 'ETH1', vrid: 11, vips: ['172.20.0.86/24 dev eth1'], routes: undefined },
      ],
    ],
  ])('%s', (_name, vars, expected) => {
    expect(summary(vars)).toEqual(expected);
  });

  test.each([
    ['SERVICE_ID from the context', { SERVICE_ID: '300' }, 99, 46],
    ["no SERVICE_ID: OneGate's service id", { SERVICE_ID: '' }, 300, 46],
    ['no SERVICE_ID, no service: VMID', { SERVICE_ID: '', VMID: '12' }, undefined, 13],
    ['a VRID in the context wins', { ONEAPP_VNF_KEEPALIVED_VRID: '7', SERVICE_ID: '' }, 300, 7],
    ['a per-NIC VRID wins', { ONEAPP_VNF_KEEPALIVED_ETH0_VRID: '8', ONEAPP_VNF_KEEPALIVED_ETH1_VRID: '8', SERVICE_ID: '' }, 300, 8],
  ])('VRID default: %s', (_name, vars, serviceId, vrid) => {
    expect(summary(vars, serviceId).map((i) => i.vrid)).toEqual([vrid, vrid]);
  });

  test('the plan takes the VRID from OneGate when the context has no SERVICE_ID', () => {
    const conf = file(planFor({ SERVICE_ID: '' }), '/etc/keepalived/keepalived.conf')?.content ?? '';
    // The test service has id 10: 10 mod 255 + 1.
    expect(conf.match(/virtual_router_id \d+/g)).toEqual(['virtual_router_id 11', 'virtual_router_id 11']);
  });

  test('a skipped NIC whose VIPs nothing can carry stops the plan with exit 2, naming the variable', () => {
    let error: unknown;
    try {
      planFor({ ONEAPP_VNF_KEEPALIVED_ETH0_SKIP: 'YES', ONEAPP_VNF_KEEPALIVED_ETH1_SKIP: 'YES' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(2);
    expect((error as ConfigError).issues.map((i) => i.variable)).toEqual(['ONEAPP_VNF_KEEPALIVED_ETH0_SKIP', 'ONEAPP_VNF_KEEPALIVED_ETH1_SKIP']);
  });

  test('the rendered file with ETH0_SKIP has no eth0 instance and the public VIP on eth0', () => {
    const text = file(planFor({ ONEAPP_VNF_KEEPALIVED_ETH0_SKIP: 'YES' }), '/etc/keepalived/keepalived.conf')?.content ?? '';
    expect(text).not.toContain('vrrp_instance ETH0');
    expect(text).toMatch(/vrrp_instance ETH1 \{[\s\S]*interface eth1[\s\S]*192\.168\.150\.86\/24 dev eth0/);
  });
});

describe('the VNF variables of the official template', () => {
  const issuesOf = (run: () => unknown): string[] => {
    try {
      run();
    } catch (error) {
      if (error instanceof ConfigError) return error.issues.map((i) => `${i.variable}: ${i.expected}`);
      if (error instanceof PlaceholderError) return [error.variable];
      throw error;
    }
    return [];
  };

  test('ONEAPP_VNF_HAPROXY_ENABLED=NO: no HAProxy and no sync, the rest runs', () => {
    const plan = planFor({ ONEAPP_VNF_HAPROXY_ENABLED: 'NO' });
    expect(file(plan, '/etc/haproxy/haproxy.cfg')).toBeUndefined();
    expect(services(plan)).toEqual(['reload-or-restart keepalived.service', 'restart unbound.service']);
  });

  test('ONEAPP_VNF_HAPROXY_INTERFACES=eth0 with LBs on <ETH0_EP0> (the official template) binds them', () => {
    const plan = planFor({ ONEAPP_VNF_HAPROXY_INTERFACES: 'eth0', ONEAPP_VNF_HAPROXY_LB0_IP: '<ETH0_EP0>' });
    expect(file(plan, '/etc/haproxy/haproxy.cfg')?.content).toContain('bind 192.168.150.86:9345');
  });

  test.each([
    [
      'an LB on the private VIP while only eth0 may bind',
      { ONEAPP_VNF_HAPROXY_INTERFACES: 'eth0', ONEAPP_VNF_HAPROXY_LB3_IP: '<ETH1_VIP0>' },
      ['ONEAPP_VNF_HAPROXY_LB3_IP: an address of ONEAPP_VNF_HAPROXY_INTERFACES (eth0), not of eth1'],
    ],
    [
      'eth0 excluded',
      { ONEAPP_VNF_HAPROXY_INTERFACES: '!eth0', ONEAPP_VNF_HAPROXY_LB0_PORT: '' },
      [0, 1, 2, 3].map((i) => `ONEAPP_VNF_HAPROXY_LB${i}_IP: an address of ONEAPP_VNF_HAPROXY_INTERFACES (eth1), not of eth0`),
    ],
    [
      'an address on no NIC of the VNF',
      { ONEAPP_VNF_HAPROXY_INTERFACES: 'eth0,eth1', ONEAPP_VNF_HAPROXY_LB2_IP: '10.99.0.1' },
      ['ONEAPP_VNF_HAPROXY_LB2_IP: an address of ONEAPP_VNF_HAPROXY_INTERFACES (eth0, eth1)'],
    ],
  ])('refused, exit 2: %s', (_name, vars, expected) => {
    expect(issuesOf(() => planFor(vars))).toEqual(expected);
  });

  test('ONEAPP_VNF_NAT4_PORT_FWD<n>: DNAT of TCP and UDP, placeholders resolved, forwarded through a restricted router', () => {
    const nft =
      file(
        planFor({
          ONEAPP_VNF_ROUTER4_ENABLED: 'YES',
          ONEAPP_VNF_ROUTER4_INTERFACES: 'eth0,eth1',
          ONEAPP_VNF_NAT4_PORT_FWD0: '<ETH0_EP0>:2222:172.20.0.5:22',
          ONEAPP_VNF_NAT4_PORT_FWD1: '8080:<ETH1_IP0>',
        }),
        '/etc/nftables.d/oneke.nft',
      )?.content ?? '';
    expect(nft).toMatch(
      /chain prerouting \{\n\s+type nat hook prerouting priority dstnat; policy accept;\n\s+ip daddr 192\.168\.150\.86 meta l4proto \{ tcp, udp \} th dport 2222 dnat to 172\.20\.0\.5:22\n\s+meta l4proto \{ tcp, udp \} th dport 8080 dnat to 172\.20\.0\.100:8080\n/,
    );
    expect(nft).toContain('ct status dnat accept');
    // Without NAT, no port forward.
    expect(file(planFor({ ONEAPP_VNF_NAT4_ENABLED: 'NO', ONEAPP_VNF_NAT4_PORT_FWD0: '2222:172.20.0.5:22' }), '/etc/nftables.d/oneke.nft')?.content).not.toContain('dnat');
  });
});
