import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { buildServiceState, macFromIp } from '../../../src/emulator/index.ts';
import { BINARY, contextSh } from '../../support/binary.ts';
import { isRoot, NEEDS_ROOT } from '../../support/netns.ts';
import { recordingSystemctl, vmSeenFrom } from '../../support/onegate-in-netns.ts';
import { tempRoot } from '../../support/temp-root.ts';
import { useTestNet } from '../../support/use-test-net.ts';

// The topology of a real private network: OneGate on the front-end's public side, a router (the
// VNF, with NAT) between it and the private network, a worker on the private side with no default
// route. The worker reaches OneGate only through the route oneke sets from FALLBACK_GW.

const FRONTEND = '192.168.150.1';
const VNF_PUBLIC = '192.168.150.100';
const VNF_PRIVATE = '10.1.0.1';
const MASTER = '10.1.0.10';
const WORKER = '10.1.0.20';

/** A GET of OneGate from inside `ns`: the HTTP status, or `no answer`. */
const fetchScript = (url: string) => `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(3000) }).then((r) => console.log(r.status), () => console.log('no answer'))`;

describe.skipIf(!isRoot())(`a worker behind the VNF (${isRoot() ? 'root' : NEEDS_ROOT})`, () => {
  test('without a route OneGate does not answer; oneke configure sets the route first and the worker joins', async () => {
    const net = useTestNet();
    const [frontend, vnf, node] = [await net.namespace('fe'), await net.namespace('vnf'), await net.namespace('node')];
    await net.wire({ ns: frontend, ifname: 'eth0', addresses: [`${FRONTEND}/24`] }, { ns: vnf, ifname: 'eth0', addresses: [`${VNF_PUBLIC}/24`] });
    // The master's supervisor stands in on the router (a TCP port that accepts is all the worker checks).
    await net.wire({ ns: vnf, ifname: 'eth1', addresses: [`${VNF_PRIVATE}/24`, `${MASTER}/24`] }, { ns: node, ifname: 'eth0', mac: macFromIp(WORKER), addresses: [`${WORKER}/24`] });
    await net.sysctl(vnf, 'net.ipv4.ip_forward', '1');
    await net.run(vnf, 'nft', ['add table ip nat']);
    await net.run(vnf, 'nft', ['add chain ip nat post { type nat hook postrouting priority 100 ; }']);
    await net.run(vnf, 'nft', ['add rule ip nat post oifname "eth0" masquerade']);
    const api = net.spawn(vnf, process.execPath, ['-e', `require('net').createServer((s) => s.end()).listen(6443, ${JSON.stringify(MASTER)}, () => console.log('listening'))`], 'master stand-in');
    await api.waitFor(/listening/);

    const dir = await tempRoot();
    const state = buildServiceState({
      serviceId: 7,
      roles: [
        { name: 'vnf', vms: [{ id: 0, nics: [{ ip: VNF_PUBLIC, network: 'public' }, { ip: VNF_PRIVATE }], userTemplate: { READY: 'YES' } }] },
        { name: 'master', vms: [{ id: 1, ip: MASTER, userTemplate: { READY: 'YES', ONEGATE_K8S_MASTER: MASTER, ONEGATE_K8S_TOKEN: 'K10peer::server:x' } }] },
        { name: 'worker', vms: [{ id: 2, ip: WORKER }] },
      ],
    });
    await fs.writeFile(path.join(dir, 'state.json'), JSON.stringify(state));
    const onegate = net.spawn(frontend, BINARY, ['dev', 'onegate', '--state', path.join(dir, 'state.json'), '--listen', `${FRONTEND}:5030`], 'onegate');
    await onegate.waitFor(/listening on/, 15_000);
    const url = `http://${FRONTEND}:5030`;

    // Without the route: nothing comes back.
    expect((await net.run(node, process.execPath, ['-e', fetchScript(`${url}/vm`)])).stdout.trim()).toBe('no answer');

    const root = path.join(dir, 'vm');
    const context = path.join(dir, 'context.sh');
    const token = state.vms['2']?.token ?? '';
    await fs.writeFile(
      context,
      contextSh({
        ONEGATE_ENDPOINT: url,
        VMID: '2',
        TOKENTXT: token,
        SERVICE_ID: '7',
        ETH0_IP: WORKER,
        ETH0_MASK: '255.255.255.0',
        ETH0_MAC: macFromIp(WORKER),
        FALLBACK_GW: VNF_PRIVATE,
        FALLBACK_DNS: VNF_PRIVATE,
        ONEAPP_RKE2_SUPERVISOR_EP: `${VNF_PUBLIC}:9345`,
        ONEAPP_K8S_CONTROL_PLANE_EP: `${VNF_PUBLIC}:6443`,
        ONEAPP_K8S_WAIT_TIMEOUT: '60',
      }),
    );
    const systemctl = await recordingSystemctl(dir);
    const configure = await net.run(node, 'env', [`ONEKE_SYSTEMCTL=${systemctl.path}`, BINARY, '--root', root, '--context', context, '--log-level', 'error', 'configure'], {
      reject: false,
      timeoutMs: 90_000,
    });
    expect(configure.exitCode, configure.stderr).toBe(0);

    expect(await net.ip(node, ['route', 'show', 'default'])).toMatch(new RegExp(`^default via ${VNF_PRIVATE.replaceAll('.', '\\.')} dev eth0`));
    expect(await fs.readFile(path.join(root, 'etc/resolv.conf'), 'utf8')).toBe(`nameserver ${VNF_PRIVATE}\n`);
    expect(await systemctl.calls()).toEqual(['mask rke2-server.service', 'start rke2-agent.service']);
    expect(await fs.readFile(path.join(root, 'etc/rancher/rke2/config.yaml'), 'utf8')).toContain(`server: https://${VNF_PUBLIC}:9345\n`);
    // Its node name reached OneGate, through the VNF's NAT.
    expect(await vmSeenFrom(net, frontend, url, 2, token)).toMatchObject({ ONEGATE_K8S_NODE_NAME: 'oneke-ip-10-1-0-20' });
  }, 120_000);
});
