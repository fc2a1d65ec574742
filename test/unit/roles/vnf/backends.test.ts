import { describe, expect, test } from 'vitest';
import { InternalError } from '../../../../src/errors.ts';
import { renderHaproxyCfg } from '../../../../src/roles/vnf/haproxy-cfg.ts';
import { collectBackends, type ServiceVm, type StaticLb } from '../../../../src/roles/vnf/backends.ts';
import { type NicAddresses, PlaceholderError } from '../../../../src/config/placeholders.ts';

const VIP = '10.0.0.10';
const nics: NicAddresses[] = [
  { index: 0, ips: ['10.0.0.2/24'], vips: [`${VIP}/24`] },
  { index: 1, ips: ['172.20.0.1/24'], vips: ['172.20.0.254/24'] },
];

/** The contract's four default load balancers on the public VIP, written as placeholders. */
const staticLbs: StaticLb[] = [
  { index: 0, ip: '<ETH0_EP0>', port: 9345, servers: [] },
  { index: 1, ip: '<ETH0_EP0>', port: 6443, servers: [] },
  { index: 2, ip: VIP, port: 443, servers: [] },
  { index: 3, ip: VIP, port: 80, servers: [{ host: '172.20.0.50', port: 8080, index: 0 }] },
];

function publish(index: number, ip: string, port: string, host: string, serverPort: string): Record<string, string> {
  return {
    [`ONEGATE_HAPROXY_LB${index}_IP`]: ip,
    [`ONEGATE_HAPROXY_LB${index}_PORT`]: port,
    [`ONEGATE_HAPROXY_LB${index}_SERVER_HOST`]: host,
    [`ONEGATE_HAPROXY_LB${index}_SERVER_PORT`]: serverPort,
  };
}

function master(id: number, ip: string, lbIp = VIP): ServiceVm {
  return { id, userTemplate: { ROLE_NAME: 'master', READY: 'YES', ...publish(0, lbIp, '9345', ip, '9345'), ...publish(1, lbIp, '6443', ip, '6443') } };
}

function worker(id: number, ip: string): ServiceVm {
  return { id, userTemplate: { ROLE_NAME: 'worker', ...publish(2, VIP, '443', ip, '32443'), ...publish(3, VIP, '80', ip, '32080') } };
}

describe('collectBackends', () => {
  test('a OneKE service: masters behind LB0 and LB1 (LB0 checked on 6443), workers behind LB2 and LB3', () => {
    const vms = [worker(7, '172.20.0.21'), master(3, '172.20.0.12'), master(1, '172.20.0.2'), worker(6, '172.20.0.20'), master(2, '172.20.0.11')];
    const { loadBalancers, warnings } = collectBackends(staticLbs, vms, { nics });
    expect(warnings).toEqual([]);
    expect(loadBalancers).toEqual([
      {
        index: 0,
        ip: VIP,
        port: 9345,
        servers: [
          { host: '172.20.0.2', port: 9345, checkPort: 6443 },
          { host: '172.20.0.11', port: 9345, checkPort: 6443 },
          { host: '172.20.0.12', port: 9345, checkPort: 6443 },
        ],
      },
      {
        index: 1,
        ip: VIP,
        port: 6443,
        servers: [
          { host: '172.20.0.2', port: 6443 },
          { host: '172.20.0.11', port: 6443 },
          { host: '172.20.0.12', port: 6443 },
        ],
      },
      {
        index: 2,
        ip: VIP,
        port: 443,
        servers: [
          { host: '172.20.0.20', port: 32443 },
          { host: '172.20.0.21', port: 32443 },
        ],
      },
      {
        index: 3,
        ip: VIP,
        port: 80,
        servers: [
          { host: '172.20.0.20', port: 32080 },
          { host: '172.20.0.21', port: 32080 },
          { host: '172.20.0.50', port: 8080 },
        ],
      },
    ]);
  });

  test('the order of VMs and keys does not change the result, nor the rendered config', () => {
    const vms = [master(1, '172.20.0.2'), master(2, '172.20.0.11'), worker(6, '172.20.0.20')];
    const reversed = [...vms].reverse().map((vm) => ({ id: vm.id, userTemplate: Object.fromEntries(Object.entries(vm.userTemplate).reverse()) }));
    const a = collectBackends(staticLbs, vms, { nics });
    const b = collectBackends([...staticLbs].reverse(), reversed, { nics });
    expect(b).toEqual(a);
    expect(renderHaproxyCfg({ loadBalancers: b.loadBalancers })).toBe(renderHaproxyCfg({ loadBalancers: a.loadBalancers }));
  });

  test('a backend published for another IP, port or index is ignored without a warning', () => {
    const vms = [
      master(1, '172.20.0.2', '10.0.0.99'), // another VNF's VIP (a second cluster on the network)
      { id: 2, userTemplate: publish(1, VIP, '6444', '172.20.0.3', '6443') }, // another port
      { id: 3, userTemplate: publish(7, VIP, '6443', '172.20.0.4', '6443') }, // an index the VNF does not define
      { id: 4, userTemplate: publish(2, VIP, '6443', '172.20.0.5', '6443') }, // LB1's address and port under index 2
    ];
    const { loadBalancers, warnings } = collectBackends(staticLbs, vms, { nics });
    expect(warnings).toEqual([]);
    expect(loadBalancers.flatMap((lb) => lb.servers)).toEqual([{ host: '172.20.0.50', port: 8080 }]);
  });

  test('duplicates collapse: the same server from two VMs, from a static entry, or spelled differently', () => {
    const vms = [
      { id: 1, userTemplate: publish(3, VIP, '80', '172.20.0.50', '8080') },
      { id: 2, userTemplate: publish(3, VIP, '80', '172.20.0.50', '8080') },
      { id: 3, userTemplate: publish(1, VIP, '6443', 'fd00::5', '6443') },
      { id: 4, userTemplate: publish(1, VIP, '6443', 'FD00:0::5', '6443') },
      { id: 5, userTemplate: publish(1, '<ETH0_VIP0>', '6443', '<ETH1_IP0>', '6443') },
    ];
    const { loadBalancers, warnings } = collectBackends(staticLbs, vms, { nics });
    expect(warnings).toEqual([]);
    expect(loadBalancers[1]?.servers).toEqual([
      { host: '172.20.0.1', port: 6443 },
      { host: 'fd00::5', port: 6443 },
    ]);
    expect(loadBalancers[3]?.servers).toEqual([{ host: '172.20.0.50', port: 8080 }]);
  });

  test.each([
    ['an IP that is not one', publish(1, '10.0.0.300', '6443', '172.20.0.9', '6443'), 'ONEGATE_HAPROXY_LB1_IP="10.0.0.300" is not an IP address'],
    ['a port that is not a number', publish(1, VIP, 'https', '172.20.0.9', '6443'), 'ONEGATE_HAPROXY_LB1_PORT="https" is not a TCP port'],
    ['a port out of range', publish(1, VIP, '6443', '172.20.0.9', '65536'), 'ONEGATE_HAPROXY_LB1_SERVER_PORT="65536" is not a TCP port'],
    ['a port with a sign', publish(1, VIP, '+6443', '172.20.0.9', '6443'), 'ONEGATE_HAPROXY_LB1_PORT="+6443" is not a TCP port'],
    ['a server host with a space', publish(1, VIP, '6443', '172.20.0.9 x', '6443'), 'ONEGATE_HAPROXY_LB1_SERVER_HOST="172.20.0.9 x" is neither'],
    ['a server host with config syntax', publish(1, VIP, '6443', 'a\nbind *:22', '6443'), 'ONEGATE_HAPROXY_LB1_SERVER_HOST="a\\nbind *:22" is neither'],
    ['a placeholder the VNF cannot resolve', publish(1, '<ETH5_VIP0>', '6443', '172.20.0.9', '6443'), 'the VNF has no NIC ETH5'],
    ['a missing server port', { ...publish(1, VIP, '6443', '172.20.0.9', '6443'), ONEGATE_HAPROXY_LB1_SERVER_PORT: '' }, 'without ONEGATE_HAPROXY_LB1_SERVER_PORT'],
  ])('a published backend with %s is skipped with a warning', (_title, userTemplate, warning) => {
    const vms = [master(1, '172.20.0.2'), { id: 9, userTemplate }];
    const { loadBalancers, warnings } = collectBackends(staticLbs, vms, { nics });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('VM 9: ');
    expect(warnings[0]).toContain(warning);
    expect(warnings[0]).toMatch(/backend for LB1 skipped$/);
    // The well-formed backends are all there.
    expect(loadBalancers[1]?.servers).toEqual([{ host: '172.20.0.2', port: 6443 }]);
  });

  test('a VM that publishes nothing for the LBs adds nothing and warns nothing', () => {
    const { loadBalancers, warnings } = collectBackends(staticLbs, [{ id: 1, userTemplate: { READY: 'YES', ONEGATE_K8S_MASTER: '172.20.0.2' } }], { nics });
    expect(warnings).toEqual([]);
    expect(loadBalancers.map((lb) => lb.servers.length)).toEqual([0, 0, 0, 1]);
  });

  test('static LB0 servers are checked on 6443 too; static placeholders resolve', () => {
    const { loadBalancers } = collectBackends([{ index: 0, ip: '<ETH0_VIP0>', port: 9345, servers: [{ host: '<ETH1_IP0>', port: 9345 }] }], [], { nics });
    expect(loadBalancers).toEqual([{ index: 0, ip: VIP, port: 9345, servers: [{ host: '172.20.0.1', port: 9345, checkPort: 6443 }] }]);
  });

  test('a static placeholder the VNF cannot resolve is the user’s error, naming the variable', () => {
    expect(() => collectBackends([{ index: 2, ip: '<ETH4_EP0>', port: 443, servers: [] }], [], { nics })).toThrow(PlaceholderError);
    expect(() => collectBackends([{ index: 2, ip: '<ETH4_EP0>', port: 443, servers: [] }], [], { nics })).toThrow(/^ONEAPP_VNF_HAPROXY_LB2_IP=<ETH4_EP0>: the VNF has no NIC ETH4$/);
    expect(() => collectBackends([{ index: 2, ip: VIP, port: 443, servers: [{ host: '<ETH1_VIP3>', port: 1, index: 4 }] }], [], { nics })).toThrow(
      /^ONEAPP_VNF_HAPROXY_LB2_SERVER4_HOST=<ETH1_VIP3>: NIC ETH1 has no VIP3$/,
    );
  });

  test('static input that validation should have stopped is an internal error', () => {
    expect(() => collectBackends([{ index: 0, ip: 'vip.example', port: 80, servers: [] }], [])).toThrow(InternalError);
    expect(() => collectBackends([{ index: 0, ip: VIP, port: 0, servers: [] }], [])).toThrow(InternalError);
    expect(() => collectBackends([{ index: 0, ip: VIP, port: 80, servers: [{ host: 'a b', port: 80 }] }], [])).toThrow(InternalError);
    expect(() =>
      collectBackends(
        [
          { index: 0, ip: VIP, port: 80, servers: [] },
          { index: 0, ip: VIP, port: 81, servers: [] },
        ],
        [],
      ),
    ).toThrow(/defined twice/);
  });
});
