// Every rendered configuration is accepted by the real program that reads it: `haproxy -c`,
// `keepalived -t` (inside a namespace that has the interfaces it names) and `nft -c`.

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type HaproxyInput, renderHaproxyCfg } from '../../../src/roles/vnf/haproxy-cfg.ts';
import { type KeepalivedInput, renderKeepalivedConf, type VrrpInstance } from '../../../src/render/keepalived-conf.ts';
import { type NftablesInput, renderNftables, renderNftablesRemoval } from '../../../src/roles/vnf/nftables.ts';
import { collectBackends } from '../../../src/roles/vnf/backends.ts';
import { isRoot, NEEDS_ROOT, TestNet } from '../../support/netns.ts';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'oneke-vnf-check-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

let fileCounter = 0;
async function writeTemp(name: string, content: string): Promise<string> {
  fileCounter += 1;
  const file = path.join(dir, `${fileCounter}-${name}`);
  await fs.writeFile(file, content);
  return file;
}

const oneke = collectBackends(
  [
    { index: 0, ip: '<ETH0_EP0>', port: 9345, servers: [] },
    { index: 1, ip: '<ETH0_EP0>', port: 6443, servers: [] },
    { index: 2, ip: '<ETH0_EP0>', port: 443, servers: [] },
    { index: 3, ip: '<ETH0_EP0>', port: 80, servers: [{ host: 'localhost', port: 8080 }] },
  ],
  [1, 2, 3].map((n) => ({
    id: n,
    userTemplate: {
      ONEGATE_HAPROXY_LB0_IP: '10.0.0.10',
      ONEGATE_HAPROXY_LB0_PORT: '9345',
      ONEGATE_HAPROXY_LB0_SERVER_HOST: `172.20.0.${n + 1}`,
      ONEGATE_HAPROXY_LB0_SERVER_PORT: '9345',
      ONEGATE_HAPROXY_LB1_IP: '10.0.0.10',
      ONEGATE_HAPROXY_LB1_PORT: '6443',
      ONEGATE_HAPROXY_LB1_SERVER_HOST: `172.20.0.${n + 1}`,
      ONEGATE_HAPROXY_LB1_SERVER_PORT: '6443',
    },
  })),
  { nics: [{ index: 0, ips: ['10.0.0.2/24'], vips: ['10.0.0.10/24'] }] },
).loadBalancers;

describe('haproxy -c accepts every rendered configuration', () => {
  const cases: [string, () => HaproxyInput][] = [
    ['the OneKE load balancers (LB0 checked on 6443, LB3 with a name)', () => ({ loadBalancers: oneke, global: { user: 'haproxy', group: 'haproxy' } })],
    ['load balancers without any server', () => ({ loadBalancers: oneke.map((lb) => ({ ...lb, servers: [] })) })],
    ['only a stats page', () => ({ loadBalancers: [], stats: { http: { ip: '127.0.0.1', port: 8404 } } })],
    [
      'IPv6 binds and servers',
      () => ({
        loadBalancers: [
          {
            index: 1,
            ip: 'fd00::10',
            port: 6443,
            servers: [
              { host: 'fd00::2', port: 6443 },
              { host: '10.0.0.2', port: 6443 },
            ],
          },
        ],
      }),
    ],
    [
      'stats socket and page, log level, maxconn',
      () => ({
        loadBalancers: oneke.slice(0, 2),
        stats: { socket: path.join(dir, 'admin.sock'), http: { ip: '127.0.0.1', port: 8404 } },
        global: { logLevel: 'debug', maxconn: 1000, hardStopAfterSeconds: 30 },
      }),
    ],
  ];

  test.each(cases)('%s', async (_title, input) => {
    const file = await writeTemp('haproxy.cfg', renderHaproxyCfg(input()));
    const result = await execa('haproxy', ['-c', '-f', file], { reject: false, all: true });
    expect(result.all).toContain('Configuration file is valid');
    expect(result.all).not.toMatch(/WARNING|ALERT/);
    expect(result.exitCode).toBe(0);
  });
});

const root = isRoot();

describe.skipIf(!root)(`keepalived -t and nft -c, inside a namespace (${NEEDS_ROOT})`, () => {
  const net = new TestNet();
  let ns: string;
  beforeAll(async () => {
    ns = await net.namespace('check');
    await net.pair(ns, 'eth0', 'eth1');
    await net.pair(ns, 'eth2', 'eth3');
  });
  afterAll(() => net.cleanup());

  const eth0: VrrpInstance = { name: 'ETH0', interface: 'eth0', vrid: 42, priority: 100, advertInterval: 1, password: 'oneke#1!', vips: ['10.0.0.10/24'] };
  const eth1: VrrpInstance = { ...eth0, name: 'ETH1', interface: 'eth1', vips: ['172.20.0.1/24'] };

  const keepalivedCases: [string, KeepalivedInput][] = [
    ['a public and a private VIP in a sync group', { routerId: 'vnf-1', syncGroup: 'ONEKE', instances: [eth0, eth1] }],
    ['one instance (no sync group)', { syncGroup: 'ONEKE', instances: [eth0] }],
    ['no instance', { syncGroup: 'ONEKE', instances: [] }],
    [
      'unicast peers and a tracked script',
      {
        syncGroup: 'ONEKE',
        scripts: [{ name: 'haproxy', command: ['/usr/bin/pgrep', '-x', 'haproxy'], intervalSeconds: 2, fall: 2, rise: 2 }],
        instances: [{ ...eth0, unicastPeers: ['10.0.0.3'] }, eth1],
      },
    ],
    [
      'a weighted script with a single instance',
      {
        syncGroup: 'ONEKE',
        scripts: [{ name: 'haproxy', command: ['/usr/bin/pgrep', '-x', 'haproxy'], intervalSeconds: 2, timeoutSeconds: 1, weight: -20 }],
        instances: [eth0],
      },
    ],
    [
      'fractional intervals (VRRPv3)',
      {
        syncGroup: 'ONEKE',
        instances: [
          { ...eth0, password: undefined, advertInterval: 0.5 },
          { ...eth1, password: undefined, advertInterval: 0.25 },
        ],
      },
    ],
    ['an IPv6-only instance', { syncGroup: 'ONEKE', instances: [{ ...eth0, password: undefined, vips: ['fd00::10/64'] }, eth1] }],
    ['IPv4 and IPv6 VIPs on one NIC', { syncGroup: 'ONEKE', instances: [{ ...eth0, vips: ['10.0.0.10/24', '10.0.0.11', 'fd00::10/64'] }, eth1] }],
    [
      'four NICs with their own VRID, priority and interval',
      {
        syncGroup: 'ONEKE',
        instances: ['eth0', 'eth1', 'eth2', 'eth3'].map((name, n) => ({
          name: name.toUpperCase(),
          interface: name,
          vrid: 250 + n,
          priority: 1 + n * 80,
          advertInterval: 1 + n,
          vips: [`10.${n}.0.10/24`],
        })),
      },
    ],
  ];

  test.each(keepalivedCases)('keepalived -t: %s', async (_title, input) => {
    const file = await writeTemp('keepalived.conf', renderKeepalivedConf(input));
    const result = await net.run(ns, 'keepalived', ['-t', '-f', file], { reject: false });
    expect(`${result.stderr}${result.stdout}`).toBe('');
    expect(result.exitCode).toBe(0);
  });

  test('keepalived -t fails for an interface the namespace lacks (the check is real)', async () => {
    const file = await writeTemp('keepalived.conf', renderKeepalivedConf({ syncGroup: 'G', instances: [{ ...eth0, interface: 'eth9' }] }));
    const result = await net.run(ns, 'keepalived', ['-t', '-f', file], { reject: false });
    expect(result.exitCode).not.toBe(0);
  });

  test('odd passwords reach keepalived unchanged (its own configuration dump shows them)', async () => {
    const passwords = ['a#b!c', 'p w s', 'x\\y', "it's", '$$x', '$HOME', '{a}', '!#', 'ünï', '12345678'];
    const instances = passwords.map((password, n) => ({ ...eth0, name: `PW${n}`, vrid: 100 + n, password, vips: [`10.9.${n}.1/24`] }));
    const file = await writeTemp('keepalived.conf', renderKeepalivedConf({ syncGroup: 'ONEKE', instances }));
    expect((await net.run(ns, 'keepalived', ['-t', '-f', file], { reject: false })).exitCode).toBe(0);

    const pid = (name: string): string => path.join(dir, `pw-${name}.pid`);
    const daemon = net.spawn(ns, 'keepalived', ['-n', '-l', '-G', '-d', '-P', '-f', file, '-p', pid('main'), '-r', pid('vrrp'), '-c', pid('checkers'), '-b', pid('bfd')], 'keepalived --dump-conf');
    try {
      await daemon.waitFor(new RegExp(`VRRP Instance = PW${passwords.length - 1}[\\s\\S]*Password = `), 15_000);
      // The dump lists each instance, then its settings; pair them up in order.
      const dumped = [...daemon.output().matchAll(/VRRP Instance = (PW\d+)\n[\s\S]*?Password = (.*)\n/g)].map((m) => [m[1], m[2]]);
      expect(Object.fromEntries(dumped)).toEqual(Object.fromEntries(passwords.map((p, n) => [`PW${n}`, p])));
    } finally {
      await daemon.kill('SIGKILL');
    }
  });

  const nftCases: [string, NftablesInput][] = [
    ['NAT4 out of eth0, forward all', { forward: true, masqueradeOut: ['eth0'] }],
    ['forwarding restricted, two NAT interfaces', { forward: true, forwardInterfaces: ['eth1', 'eth2'], masqueradeOut: ['eth0', 'eth3'] }],
    ['routing without NAT', { forward: true, masqueradeOut: [] }],
    ['no forwarding', { forward: false, masqueradeOut: [] }],
  ];

  test.each(nftCases)('nft -c: %s', async (_title, input) => {
    const file = await writeTemp('oneke.nft', renderNftables(input));
    await net.run(ns, 'nft', ['-c', '-f', file]);
  });

  test('nft -c: the removal text', async () => {
    await net.run(ns, 'nft', ['-c', '-f', await writeTemp('remove.nft', renderNftablesRemoval())]);
  });

  test('nft -c fails on a broken ruleset (the check is real)', async () => {
    const file = await writeTemp('broken.nft', renderNftables({ forward: true, masqueradeOut: ['eth0'] }).replace('masquerade', 'masquerad'));
    const result = await net.run(ns, 'nft', ['-c', '-f', file], { reject: false });
    expect(result.exitCode).not.toBe(0);
  });
});
