// The contract's health-check rule with the real HAProxy: LB0's servers (the RKE2 supervisor, 9345)
// are checked on 6443, so a master whose supervisor listens but whose API does not yet (a joining
// master) gets no LB0 traffic; it does once 6443 answers.

import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { renderHaproxyCfg } from '../../../src/roles/vnf/haproxy-cfg.ts';
import { collectBackends, type ServiceVm } from '../../../src/roles/vnf/backends.ts';
import { eventually, isRoot, NEEDS_ROOT } from '../../support/netns.ts';
import { useTestNet } from '../../support/use-test-net.ts';
import { connectOnce, startServer } from './tcp-tools.ts';

const VIP = '10.0.0.10';

function master(id: number, ip: string): ServiceVm {
  const keys: Record<string, string> = {};
  for (const [index, port] of [
    [0, '9345'],
    [1, '6443'],
  ] as const) {
    keys[`ONEGATE_HAPROXY_LB${index}_IP`] = VIP;
    keys[`ONEGATE_HAPROXY_LB${index}_PORT`] = port;
    keys[`ONEGATE_HAPROXY_LB${index}_SERVER_HOST`] = ip;
    keys[`ONEGATE_HAPROXY_LB${index}_SERVER_PORT`] = port;
  }
  return { id, userTemplate: keys };
}

/** `show stat` over the runtime API socket (a file, reachable from outside the namespace). */
async function serverStatus(socket: string): Promise<Record<string, string>> {
  const text = await new Promise<string>((resolve, reject) => {
    let out = '';
    const client = net.connect(socket, () => client.write('show stat\n'));
    client.on('data', (chunk) => {
      out += chunk.toString();
    });
    client.on('end', () => resolve(out));
    client.on('error', reject);
  });
  const [header = '', ...rows] = text.trim().split('\n');
  const columns = header.replace(/^# /, '').split(',');
  const status = columns.indexOf('status');
  const result: Record<string, string> = {};
  for (const row of rows) {
    const cells = row.split(',');
    if (cells[1] === 'FRONTEND' || cells[1] === 'BACKEND') continue;
    result[`${cells[0]}/${cells[1]}`] = (cells[status] ?? '').split(' ')[0] as string;
  }
  return result;
}

describe.skipIf(!isRoot())(`HAProxy health checks (${NEEDS_ROOT})`, () => {
  test('LB0 servers are checked on 6443: a master without its API gets no supervisor traffic', { timeout: 60_000 }, async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'oneke-checks-'));
    onTestFinished(() => fs.rm(dir, { recursive: true, force: true }));
    const tn = useTestNet();
    const ns = await tn.namespace('lb');
    await tn.ip(ns, ['addr', 'add', `${VIP}/32`, 'dev', 'lo']);

    // Master A (127.0.0.2) is joining: supervisor up, API not yet. Master B (127.0.0.3) is ready.
    await startServer(tn, ns, 'a-9345', 9345, '127.0.0.2');
    await startServer(tn, ns, 'b-9345', 9345, '127.0.0.3');
    await startServer(tn, ns, 'b-6443', 6443, '127.0.0.3');

    const { loadBalancers } = collectBackends(
      [
        { index: 0, ip: VIP, port: 9345, servers: [] },
        { index: 1, ip: VIP, port: 6443, servers: [] },
      ],
      [master(1, '127.0.0.2'), master(2, '127.0.0.3')],
    );
    const socket = path.join(dir, 'admin.sock');
    const cfg = path.join(dir, 'haproxy.cfg');
    await fs.writeFile(cfg, renderHaproxyCfg({ loadBalancers, stats: { socket } }));
    const haproxy = tn.spawn(ns, 'haproxy', ['-db', '-f', cfg], 'haproxy');

    const settled = await eventually(
      async () => {
        const status = await serverStatus(socket);
        return status['lb0_9345/127.0.0.2:9345'] === 'DOWN' && status['lb1_6443/127.0.0.2:6443'] === 'DOWN' ? status : undefined;
      },
      'A to be marked down on LB0 and LB1',
      15_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${haproxy.output()}`);
    });
    expect(settled).toEqual({
      'lb0_9345/127.0.0.2:9345': 'DOWN',
      'lb0_9345/127.0.0.3:9345': 'UP',
      'lb1_6443/127.0.0.2:6443': 'DOWN',
      'lb1_6443/127.0.0.3:6443': 'UP',
    });
    const answers = new Set<string | undefined>();
    for (let i = 0; i < 6; i += 1) answers.add(await connectOnce(tn, ns, VIP, 9345));
    expect([...answers]).toEqual(['b-9345 127.0.0.1']);

    // A's API comes up: A joins LB0's pool (rise 2 at 2 s) and gets supervisor traffic again.
    await startServer(tn, ns, 'a-6443', 6443, '127.0.0.2');
    await eventually(async () => (await serverStatus(socket))['lb0_9345/127.0.0.2:9345'] === 'UP', 'A to be marked up on LB0', 15_000);
    const later = new Set<string | undefined>();
    for (let i = 0; i < 6; i += 1) later.add(await connectOnce(tn, ns, VIP, 9345));
    expect([...later].sort()).toEqual(['a-9345 127.0.0.1', 'b-9345 127.0.0.1']);
  });
});
