// The VNF failover, end to end with the real daemons: two VNF namespaces run keepalived and HAProxy
// from our renderers and share the VIPs of a public and a private network; two backends serve TCP;
// a client reaches them through VIP:port. The VIP holder's keepalived and HAProxy are killed with
// SIGKILL (a crash: no goodbye advert, the address stays behind on the dead node), and the client
// must get through the other VNF again. The time it takes is reported; only a generous bound is
// asserted, since it depends on the machine. The keepalived instances come from the VNF plan's own
// vrrpInstances, once as by default (VRRP on both NICs) and once as the official VNF template sets
// it, ONEAPP_VNF_KEEPALIVED_ETH0_SKIP=YES: no VRRP on the public NIC, yet the public VIP moves too.

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { renderHaproxyCfg } from '../../../src/roles/vnf/haproxy-cfg.ts';
import { renderKeepalivedConf } from '../../../src/render/keepalived-conf.ts';
import { renderSysctlConf, vnfSysctls } from '../../../src/roles/vnf/sysctl-conf.ts';
import { collectBackends, type ServiceVm } from '../../../src/roles/vnf/backends.ts';
import { vrrpInstances } from '../../../src/roles/vnf/plan.ts';
import { configFrom } from '../../support/cluster.ts';
import { eventually, isRoot, NEEDS_ROOT, type NetProcess, removeLeftovers, type TestNet } from '../../support/netns.ts';
import { useTestNet } from '../../support/use-test-net.ts';
import { probeLines, startProber, startServer } from './tcp-tools.ts';

const PUBLIC_VIP = '10.10.0.10';
const PRIVATE_VIP = '10.20.0.1';
const LB_PORT = 6443;
const BACKEND_PORT = 7001;
const RECOVERY_BOUND_SECONDS = 20;

interface Vnf {
  readonly name: string;
  readonly ns: string;
  readonly publicIp: string;
  readonly privateIp: string;
  keepalived?: NetProcess;
  haproxy?: NetProcess;
}

/** What the backends publish through OneGate in a real service. */
function backendVm(id: number, host: string): ServiceVm {
  return {
    id,
    userTemplate: {
      ONEGATE_HAPROXY_LB1_IP: PUBLIC_VIP,
      ONEGATE_HAPROXY_LB1_PORT: String(LB_PORT),
      ONEGATE_HAPROXY_LB1_SERVER_HOST: host,
      ONEGATE_HAPROXY_LB1_SERVER_PORT: String(BACKEND_PORT),
    },
  };
}

async function startVnf(net: TestNet, vnf: Vnf, dir: string, skipPublic: boolean): Promise<void> {
  const file = (name: string): string => path.join(dir, `${vnf.name}-${name}`);
  const nics = [
    { index: 0, ips: [`${vnf.publicIp}/24`], vips: [`${PUBLIC_VIP}/24`] },
    { index: 1, ips: [`${vnf.privateIp}/24`], vips: [`${PRIVATE_VIP}/24`] },
  ];

  await fs.writeFile(file('sysctl.conf'), renderSysctlConf(vnfSysctls({ forward: true })));
  await net.run(vnf.ns, 'sysctl', ['-q', '-p', file('sysctl.conf')]);

  const { loadBalancers, warnings } = collectBackends([{ index: 1, ip: '<ETH0_VIP0>', port: LB_PORT, servers: [] }], [backendVm(11, '10.20.0.11'), backendVm(12, '10.20.0.12')], { nics });
  expect(warnings).toEqual([]);
  await fs.writeFile(file('haproxy.cfg'), renderHaproxyCfg({ loadBalancers }));
  const instances = vrrpInstances(
    configFrom({
      ETH0_IP: vnf.publicIp,
      ETH0_MASK: '255.255.255.0',
      ETH1_IP: vnf.privateIp,
      ETH1_MASK: '255.255.255.0',
      ONEAPP_VROUTER_ETH0_VIP0: PUBLIC_VIP,
      ONEAPP_VROUTER_ETH1_VIP0: PRIVATE_VIP,
      ONEAPP_VNF_KEEPALIVED_VRID: '51',
      ONEAPP_VNF_KEEPALIVED_PASSWORD: 'oneke#1!',
      ONEAPP_VNF_KEEPALIVED_ETH0_SKIP: skipPublic ? 'YES' : 'NO',
    }),
  );
  expect(instances.map((i) => i.interface)).toEqual(skipPublic ? ['eth1'] : ['eth0', 'eth1']);
  await fs.writeFile(file('keepalived.conf'), renderKeepalivedConf({ routerId: vnf.name, syncGroup: 'ONEKE', instances }));

  // HAProxy binds the VIP before this VNF holds it: net.ipv4.ip_nonlocal_bind from the sysctl file.
  vnf.haproxy = net.spawn(vnf.ns, 'haproxy', ['-db', '-f', file('haproxy.cfg')], `haproxy ${vnf.name}`);
  await eventually(async () => (await net.run(vnf.ns, 'ss', ['-Hltn', `sport = :${LB_PORT}`])).stdout.includes(PUBLIC_VIP), `HAProxy of ${vnf.name} listening`);
  vnf.keepalived = net.spawn(
    vnf.ns,
    'keepalived',
    ['-n', '-l', '-D', '-G', '-P', '-f', file('keepalived.conf'), '-p', file('k.pid'), '-r', file('vrrp.pid'), '-c', file('checkers.pid'), '-b', file('bfd.pid')],
    `keepalived ${vnf.name}`,
  );
}

async function holds(net: TestNet, vnf: Vnf): Promise<boolean> {
  const [pub, priv] = await Promise.all([net.ipv4Addresses(vnf.ns, 'eth0'), net.ipv4Addresses(vnf.ns, 'eth1')]);
  return pub.includes(PUBLIC_VIP) && priv.includes(PRIVATE_VIP);
}

describe.skipIf(!isRoot())(`VNF failover with real keepalived and HAProxy (${NEEDS_ROOT})`, () => {
  test.for([
    ['VRRP on both NICs', false],
    ['ETH0_SKIP=YES (VRRP on eth1 only)', true],
  ] as const)('%s: after kill -9 of the VIP holder, the VIPs move and the client gets through again', { timeout: 90_000 }, async ([label, skipPublic], { annotate }) => {
    await removeLeftovers();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'oneke-failover-'));
    onTestFinished(() => fs.rm(dir, { recursive: true, force: true }));
    const net = useTestNet();

    await net.bridge('public');
    await net.bridge('private');
    const vnfs: Vnf[] = [
      { name: 'vnf1', ns: await net.namespace('vnf1'), publicIp: '10.10.0.2', privateIp: '10.20.0.2' },
      { name: 'vnf2', ns: await net.namespace('vnf2'), publicIp: '10.10.0.3', privateIp: '10.20.0.3' },
    ];
    for (const [n, vnf] of vnfs.entries()) {
      await net.attach(vnf.ns, 'eth0', 'public', { mac: `02:00:0a:0a:00:0${n + 2}`, addresses: [`${vnf.publicIp}/24`] });
      await net.attach(vnf.ns, 'eth1', 'private', { mac: `02:00:0a:14:00:0${n + 2}`, addresses: [`${vnf.privateIp}/24`] });
    }
    const client = await net.namespace('client');
    await net.attach(client, 'eth0', 'public', { mac: '02:00:0a:0a:00:64', addresses: ['10.10.0.100/24'] });
    for (const [label, ip] of [
      ['be1', '10.20.0.11'],
      ['be2', '10.20.0.12'],
    ] as const) {
      const ns = await net.namespace(label);
      await net.attach(ns, 'eth0', 'private', { addresses: [`${ip}/24`] });
      await startServer(net, ns, label, BACKEND_PORT);
    }

    for (const vnf of vnfs) await startVnf(net, vnf, dir, skipPublic);

    // One VNF takes both VIPs (sync group), the other stays BACKUP.
    const holder = await eventually(
      async () => {
        const held = await Promise.all(vnfs.map((vnf) => holds(net, vnf)));
        return held.filter(Boolean).length === 1 ? vnfs[held.indexOf(true)] : undefined;
      },
      'one VNF to hold both VIPs',
      20_000,
    );
    const survivor = vnfs.find((vnf) => vnf !== holder) as Vnf;
    await holder.keepalived?.waitFor(/Entering MASTER STATE/);
    expect(await holds(net, survivor)).toBe(false);

    // The client gets through the holder, round-robin over both backends.
    const prober = startProber(net, client, PUBLIC_VIP, LB_PORT, 100);
    await eventually(
      () => {
        const ok = probeLines(prober).filter((line) => line.ok);
        return ok.some((line) => line.data?.startsWith('be1')) && ok.some((line) => line.data?.startsWith('be2'));
      },
      'the client to reach both backends through the VIP',
      20_000,
    );
    const before = probeLines(prober).filter((line) => line.ok);
    expect(before.every((line) => line.data?.endsWith(` ${holder.privateIp}`))).toBe(true);

    // Crash the holder: SIGKILL to keepalived (parent and VRRP child) and HAProxy at once.
    const killedAt = Date.now();
    await Promise.all([holder.keepalived?.kill('SIGKILL'), holder.haproxy?.kill('SIGKILL')]);

    const vipMovedAt = await eventually(async () => ((await holds(net, survivor)) ? Date.now() : undefined), 'the survivor to take the VIPs', RECOVERY_BOUND_SECONDS * 1000, 50);
    const recovered = await eventually(
      () => probeLines(prober).find((line) => line.ok && line.start > killedAt && line.data?.endsWith(` ${survivor.privateIp}`)),
      'the client to get through the survivor',
      RECOVERY_BOUND_SECONDS * 1000,
    );
    const failed = probeLines(prober).filter((line) => !line.ok && line.start > killedAt && line.end <= recovered.end);
    const vipSeconds = (vipMovedAt - killedAt) / 1000;
    const clientSeconds = (recovered.end - killedAt) / 1000;
    const report = `VNF failover after kill -9, ${label} (advert interval 1 s): VIPs on ${survivor.name} after ${vipSeconds.toFixed(2)} s, client served again after ${clientSeconds.toFixed(2)} s (${failed.length} failed attempts in between)`;
    console.log(report);
    await annotate(report);

    await survivor.keepalived?.waitFor(/Entering MASTER STATE/);
    // How fast is reported above (and in bench/failover.ts); the outcome is that the survivor took over.
    expect(recovered.start).toBeGreaterThan(killedAt);
    // The survivor keeps balancing over both backends.
    await eventually(
      () => {
        const after = probeLines(prober).filter((line) => line.ok && line.start > recovered.start);
        return after.some((line) => line.data === `be1 ${survivor.privateIp}`) && after.some((line) => line.data === `be2 ${survivor.privateIp}`);
      },
      'both backends through the survivor',
      10_000,
    );
  });
});
