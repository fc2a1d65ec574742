// Routing and NAT through the VNF with the real kernel: a private namespace reaches a public one
// through a VNF namespace that applies our sysctl file and our nftables ruleset. The public server
// answers with the peer address it saw, which must be the VNF's public address.

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { type NftablesInput, renderNftables, renderNftablesRemoval } from '../../../src/roles/vnf/nftables.ts';
import { renderSysctlConf, vnfSysctls } from '../../../src/roles/vnf/sysctl-conf.ts';
import { isRoot, NEEDS_ROOT } from '../../support/netns.ts';
import { useTestNet } from '../../support/use-test-net.ts';
import { connectOnce, startServer } from './tcp-tools.ts';

const PUBLIC_SERVER = '192.0.2.100';
const VNF_PUBLIC = '192.0.2.1';
const PORT = 7000;

describe.skipIf(!isRoot())(`NAT4 through the VNF (${NEEDS_ROOT})`, () => {
  test('masquerade out of the public interface; port forwards; forwarding on and off; atomic re-application', { timeout: 60_000 }, async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'oneke-nat-'));
    onTestFinished(() => fs.rm(dir, { recursive: true, force: true }));
    const net = useTestNet();

    const priv = await net.namespace('private');
    const vnf = await net.namespace('vnf');
    const pub = await net.namespace('public');
    await net.wire({ ns: priv, ifname: 'eth0', addresses: ['10.30.0.2/24'] }, { ns: vnf, ifname: 'eth1', addresses: ['10.30.0.1/24'] });
    await net.wire({ ns: vnf, ifname: 'eth0', addresses: [`${VNF_PUBLIC}/24`] }, { ns: pub, ifname: 'eth0', addresses: [`${PUBLIC_SERVER}/24`] });
    // The private side's gateway is the VNF; the public side has no route back to the private network.
    await net.ip(priv, ['route', 'add', 'default', 'via', '10.30.0.1']);
    await startServer(net, pub, 'public', PORT);

    const sysctlFile = path.join(dir, 'sysctl.conf');
    await fs.writeFile(sysctlFile, renderSysctlConf(vnfSysctls({ forward: true })));
    await net.run(vnf, 'sysctl', ['-q', '-p', sysctlFile]);
    expect((await net.run(vnf, 'sysctl', ['-n', 'net.ipv4.ip_forward'])).stdout.trim()).toBe('1');

    let applied = 0;
    const apply = async (text: string): Promise<void> => {
      applied += 1;
      const file = path.join(dir, `ruleset-${applied}.nft`);
      await fs.writeFile(file, text);
      await net.run(vnf, 'nft', ['-f', file]);
    };
    const fromPrivate = (): Promise<string | undefined> => connectOnce(net, priv, PUBLIC_SERVER, PORT, 1000);

    // Forwarding alone: the packets get out with their private source, and no answer comes back.
    expect(await fromPrivate()).toBeUndefined();

    const nat: NftablesInput = { forward: true, masqueradeOut: ['eth0'] };
    await apply(renderNftables(nat));
    expect(await fromPrivate()).toBe(`public ${VNF_PUBLIC}`);

    // Applying the same ruleset again replaces the table instead of adding to it.
    await apply(renderNftables(nat));
    const listed = (await net.run(vnf, 'nft', ['list', 'ruleset'])).stdout;
    expect(listed.match(/masquerade/g)).toHaveLength(1);
    expect(listed.match(/^table /gm)).toEqual(['table ']);
    expect(await fromPrivate()).toBe(`public ${VNF_PUBLIC}`);

    // Forwarding restricted to the private interface still lets NAT traffic and its replies through…
    await apply(renderNftables({ forward: true, forwardInterfaces: ['eth1'], masqueradeOut: ['eth0'] }));
    expect(await fromPrivate()).toBe(`public ${VNF_PUBLIC}`);
    // …but not traffic that enters elsewhere.
    await apply(renderNftables({ forward: true, forwardInterfaces: ['eth2'], masqueradeOut: ['eth0'] }));
    expect(await fromPrivate()).toBeUndefined();

    // Forwarding off in the ruleset: nothing passes even with ip_forward still 1.
    await apply(renderNftables({ forward: false, masqueradeOut: [] }));
    expect(await fromPrivate()).toBeUndefined();

    // A port forward (ONEAPP_VNF_NAT4_PORT_FWD<n>): the public side reaches a private server through
    // the VNF's public address, also with forwarding restricted to the private interface.
    await startServer(net, priv, 'private', 8022);
    const fromPublic = (): Promise<string | undefined> => connectOnce(net, pub, VNF_PUBLIC, 2222, 1000);
    expect(await fromPublic()).toBeUndefined();
    const forwarded: NftablesInput = {
      forward: true,
      forwardInterfaces: ['eth1'],
      masqueradeOut: ['eth0'],
      portForwards: [{ address: VNF_PUBLIC, port: 2222, destination: '10.30.0.2', destinationPort: 8022 }],
    };
    await apply(renderNftables(forwarded));
    expect(await fromPublic()).toBe(`private ${PUBLIC_SERVER}`);
    expect(await fromPrivate()).toBe(`public ${VNF_PUBLIC}`);

    // The removal text leaves no table behind, and applying it twice is fine.
    await apply(renderNftablesRemoval());
    await apply(renderNftablesRemoval());
    expect((await net.run(vnf, 'nft', ['list', 'tables'])).stdout.trim()).toBe('');
  });
});
