// The VNF's DNS with the real unbound: a VNF namespace runs unbound from the configuration the VNF
// plan writes; a node on the private network asks it with dig and getent, an upstream nameserver (a
// second unbound, authoritative for a zone `example`) sits on the public side, and a stranger on the private
// link, outside the allowed networks, is refused. The private VIP appears after unbound started, as
// keepalived brings it, and must be answered on without a restart.

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import type { Plan } from '../../../src/plan/plan.ts';
import { planVnf } from '../../../src/roles/vnf/plan.ts';
import { clusterFrom, configFrom } from '../../support/cluster.ts';
import { eventually, isRoot, NEEDS_ROOT } from '../../support/netns.ts';
import { useTestNet } from '../../support/use-test-net.ts';

const UPSTREAM = '192.0.2.53';
const CONTEXT: Record<string, string> = {
  VMID: '0',
  SERVICE_ID: '7',
  ETH0_IP: '192.0.2.1',
  ETH0_MASK: '255.255.255.0',
  ETH1_IP: '10.40.0.1',
  ETH1_MASK: '255.255.255.0',
  ONEAPP_VROUTER_ETH0_VIP0: '192.0.2.86',
  ONEAPP_VROUTER_ETH1_VIP0: '10.40.0.86',
  ONEAPP_VNF_DNS_NAMESERVERS: UPSTREAM,
  ONEAPP_VNF_DNS_USE_ROOTSERVERS: 'NO',
  // The node is in 10.40.0.0/26; the stranger (10.40.0.77) shares its link but not this network.
  ONEAPP_VNF_DNS_ALLOWED_NETWORKS: '10.40.0.0/26',
};

function unboundConf(vars: Record<string, string>): string {
  const cluster = clusterFrom({ serviceId: 7, roles: [{ name: 'vnf', vms: [{ id: 0, ip: '10.40.0.1', userTemplate: {} }] }] }, 0);
  const plan: Plan = planVnf({ config: configFrom({ ...CONTEXT, ...vars }), cluster, local: { downInterfaces: [] } });
  const action = plan.actions.find((a) => a.kind === 'file' && a.path === '/etc/unbound/unbound.conf');
  if (action?.kind !== 'file') throw new Error('the plan writes no unbound.conf');
  return action.content;
}

describe.skipIf(!isRoot())(`the VNF's DNS with unbound (${NEEDS_ROOT})`, () => {
  test.each([
    ['the official template: eth1 only', { ONEAPP_VNF_DNS_INTERFACES: 'eth1' }],
    ['every address (interface-automatic)', {}],
  ])('%s: zone, forwarding, refusal, and a VIP that arrives later', { timeout: 60_000 }, async (_name, vars) => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'oneke-dns-'));
    onTestFinished(() => fs.rm(dir, { recursive: true, force: true }));
    const net = useTestNet();
    const vnf = await net.namespace('vnf');
    const node = await net.namespace('node');
    const stranger = await net.namespace('stranger');
    const upstream = await net.namespace('upstream');
    const privateLink = await net.bridge('priv');
    await net.attach(vnf, 'eth1', privateLink, { addresses: ['10.40.0.1/24'] });
    await net.attach(node, 'eth0', privateLink, { addresses: ['10.40.0.10/24'] });
    await net.attach(stranger, 'eth0', privateLink, { addresses: ['10.40.0.77/24'] });
    await net.wire({ ns: vnf, ifname: 'eth0', addresses: ['192.0.2.1/24'] }, { ns: upstream, ifname: 'eth0', addresses: [`${UPSTREAM}/24`] });

    // The upstream: authoritative for example, answering the VNF.
    const upstreamConf = path.join(dir, 'upstream.conf');
    await fs.writeFile(
      upstreamConf,
      `server:\n    interface: ${UPSTREAM}\n    use-syslog: no\n    module-config: "iterator"\n    access-control: 192.0.2.0/24 allow\n    local-zone: "example." static\n    local-data: "www.example. IN A 198.51.100.7"\nremote-control:\n    control-enable: no\n`,
    );
    await net.spawn(upstream, 'unbound', ['-d', '-p', '-c', upstreamConf], 'upstream unbound').waitFor(/start of service/);

    const conf = path.join(dir, 'unbound.conf');
    await fs.writeFile(conf, unboundConf(vars));
    await net.run(vnf, 'unbound-checkconf', [conf]);
    const unbound = net.spawn(vnf, 'unbound', ['-d', '-p', '-c', conf], 'VNF unbound');
    await unbound.waitFor(/start of service/);

    const dig = async (ns: string, server: string, name: string): Promise<string> => (await net.run(ns, 'dig', ['+tries=1', '+time=2', `@${server}`, name, 'A'], { reject: false })).stdout;
    const answer = (text: string): string | undefined => /^;; ->>HEADER<<-.*status: (\w+)/m.exec(text)?.[1];
    const address = (text: string): string[] => [...text.matchAll(/^\S+\s+\d+\s+IN\s+A\s+(\S+)$/gm)].map((m) => m[1] as string);

    // The zone, on the VNF's own ETH1_IP (what FALLBACK_DNS names): no VIP yet on this VNF.
    let reply = await dig(node, '10.40.0.1', 'ep0.eth0.vr');
    expect(answer(reply), reply).toBe('NOERROR');
    expect(address(reply)).toEqual(['192.0.2.86']);
    expect(address(await dig(node, '10.40.0.1', 'ip0.eth1.vr'))).toEqual(['10.40.0.1']);
    expect(answer(await dig(node, '10.40.0.1', 'nothing.eth9.vr'))).toBe('NXDOMAIN');
    // Forwarded upstream.
    reply = await dig(node, '10.40.0.1', 'www.example');
    expect(address(reply), `${reply}\n${unbound.output()}`).toEqual(['198.51.100.7']);
    // A client outside the allowed networks is refused.
    expect(answer(await dig(stranger, '10.40.0.1', 'ep0.eth0.vr'))).toBe('REFUSED');

    // keepalived brings the private VIP: unbound answers there too, without a restart.
    await net.ip(vnf, ['addr', 'add', '10.40.0.86/24', 'dev', 'eth1']);
    reply = await eventually(async () => {
      const text = await dig(node, '10.40.0.86', 'ep0.eth1.vr');
      return answer(text) === 'NOERROR' ? text : undefined;
    }, 'an answer on the private VIP');
    expect(address(reply)).toEqual(['10.40.0.86']);
    expect(unbound.running()).toBe(true);

    // getent on the node, with the VNF as its only nameserver, as the nodes' resolv.conf has it.
    const resolvConf = path.join(dir, 'resolv.conf');
    await fs.writeFile(resolvConf, 'nameserver 10.40.0.86\n');
    const getent = await net.run(node, 'unshare', ['-m', 'sh', '-c', 'mount --bind "$1" /etc/resolv.conf && exec getent hosts ep0.eth0.vr', 'sh', resolvConf]);
    expect(getent.stdout.trim().split(/\s+/)).toEqual(['192.0.2.86', 'ep0.eth0.vr']);
  });
});
