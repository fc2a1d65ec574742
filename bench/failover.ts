// VIP failover after `kill -9` of the holder, with the real keepalived and the configuration the
// VNF plan writes (vrrpInstances + renderKeepalivedConf, the context's defaults: advert interval 1 s,
// priority 100, nopreempt): two VNF namespaces on a public and a private bridge, the holder's
// keepalived killed with SIGKILL (no goodbye advert), timed until the survivor carries both VIPs.
// The measurement of test/integration/vnf/failover.test.ts, repeated (its helpers import vitest).

import fs from 'node:fs';
import path from 'node:path';
import { defaultToken } from '../src/emulator/index.ts';
import { renderKeepalivedConf } from '../src/render/keepalived-conf.ts';
import { vrrpInstances } from '../src/roles/vnf/plan.ts';
import { configFrom } from '../test/support/cluster.ts';
import { scratch, sleep, type BenchContext } from './lib/context.ts';
import { ip, isRoot, Namespaces, type Spawned } from './lib/netns.ts';
import { markdownTable, notMeasured, reasonOf, type Figure, type Section } from './lib/report.ts';
import { HA_SHAPE, layout, vnfContext, type BenchVm } from './lib/service-state.ts';
import { fmt, summarize } from './lib/stats.ts';

export const FAILOVER_TARGET_S = 4;
const PUBLIC_VIP = '192.168.150.86';
const PRIVATE_VIP = '172.20.0.86';

interface Vnf {
  vm: BenchVm;
  ns: string;
  conf: string;
  dir: string;
  keepalived?: Spawned;
}

async function holds(nets: Namespaces, vnf: Vnf): Promise<boolean> {
  const [pub, priv] = await Promise.all([nets.addresses(vnf.ns, 'eth0'), nets.addresses(vnf.ns, 'eth1')]);
  return pub.includes(PUBLIC_VIP) && priv.includes(PRIVATE_VIP);
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs: number, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

function startKeepalived(nets: Namespaces, vnf: Vnf): void {
  const f = (name: string) => path.join(vnf.dir, name);
  vnf.keepalived = nets.spawn(vnf.ns, 'keepalived', ['-n', '-l', '-D', '-G', '-P', '-f', vnf.conf, '-p', f('k.pid'), '-r', f('vrrp.pid'), '-c', f('checkers.pid'), '-b', f('bfd.pid')]);
}

export async function measureFailover(ctx: BenchContext): Promise<Section> {
  const title = 'VIP failover (namespaces, real keepalived)';
  const figureName = 'VIP failover after kill -9 of the holder (namespaces, real keepalived)';
  if (!isRoot()) return { title, figures: [notMeasured(figureName, 'needs root (network namespaces)', `≤ ${FAILOVER_TARGET_S} s`)], markdown: 'Not measured: needs root.' };
  const nets = new Namespaces();
  const times: number[] = [];
  const rounds = ctx.pick(5, 2);
  try {
    const sw = await nets.add('switch');
    for (const bridge of ['pub', 'priv']) {
      await ip(['-n', sw, 'link', 'add', bridge, 'type', 'bridge', 'forward_delay', '0']);
      await ip(['-n', sw, 'link', 'set', bridge, 'up']);
    }
    const vnfs: Vnf[] = [];
    for (const vm of layout(HA_SHAPE).filter((v) => v.role === 'vnf')) {
      const ns = await nets.add(`vnf${vm.id}`);
      const dir = scratch(ctx, `failover-vnf${vm.id}`);
      let port = 0;
      for (const [dev, bridge, address] of [
        ['eth0', 'pub', `${vm.publicIp}/24`],
        ['eth1', 'priv', `${vm.ip}/24`],
      ] as const) {
        const peer = `v${vm.id}p${port++}`;
        await ip(['-n', sw, 'link', 'add', peer, 'type', 'veth', 'peer', 'name', dev, 'netns', ns]);
        await ip(['-n', sw, 'link', 'set', peer, 'master', bridge, 'up']);
        await ip(['-n', ns, 'addr', 'add', address, 'dev', dev]);
        await ip(['-n', ns, 'link', 'set', dev, 'up']);
      }
      // The file the VNF plan writes for this VM's context.
      const config = configFrom(vnfContext(vm, 'http://127.0.0.1:5030', defaultToken(10, vm.id)));
      const conf = path.join(dir, 'keepalived.conf');
      fs.writeFileSync(conf, renderKeepalivedConf({ routerId: `oneke-vm-${vm.id}`, syncGroup: 'ONEKE', instances: vrrpInstances(config) }), { mode: 0o600 });
      vnfs.push({ vm, ns, conf, dir });
    }
    for (const vnf of vnfs) startKeepalived(nets, vnf);

    for (let round = 0; round < rounds; round++) {
      const holder = await until(
        async () => {
          const held = await Promise.all(vnfs.map((v) => holds(nets, v)));
          return held.filter(Boolean).length === 1 ? vnfs[held.indexOf(true)] : undefined;
        },
        'one VNF to hold both VIPs',
        30_000,
        100,
      );
      const survivor = vnfs.find((v) => v !== holder) as Vnf;
      // Both running a few adverts long, so the survivor is a settled BACKUP.
      await sleep(3_000);
      const killedAt = Date.now();
      if (holder.keepalived) await nets.kill(holder.keepalived.child, 'SIGKILL');
      const movedAt = await until(async () => ((await holds(nets, survivor)) ? Date.now() : undefined), 'the survivor to take the VIPs', 30_000);
      times.push((movedAt - killedAt) / 1000);
      // The dead node keeps the VIPs on its interfaces (nobody removed them): clean up, start it again as a BACKUP.
      await ip(['-n', holder.ns, 'addr', 'del', `${PUBLIC_VIP}/24`, 'dev', 'eth0']).catch(() => undefined);
      await ip(['-n', holder.ns, 'addr', 'del', `${PRIVATE_VIP}/24`, 'dev', 'eth1']).catch(() => undefined);
      startKeepalived(nets, holder);
    }
  } catch (error) {
    return { title, figures: [notMeasured(figureName, reasonOf(error), `≤ ${FAILOVER_TARGET_S} s`)], markdown: `Not measured: ${reasonOf(error)}` };
  } finally {
    await nets.cleanup();
  }

  const s = summarize(times);
  const figures: Figure[] = [{ name: figureName, value: fmt(s, 's', 2), target: `≤ ${FAILOVER_TARGET_S} s`, met: s.max <= FAILOVER_TARGET_S }];
  const markdown = [
    "Two VNF network namespaces (the HA service's two VNFs: public 192.168.150.100–101, private 172.20.0.100–101) on a public and a private " +
      'bridge, each running keepalived with the file the VNF plan renders for its context (`vrrpInstances` + `renderKeepalivedConf`: one instance per NIC ' +
      'in a sync group, advert interval 1 s, priority 100, `nopreempt`). The holder of both VIPs is killed with SIGKILL (no goodbye advert); the time is ' +
      'until the survivor carries both VIPs (`ip -j addr`, every 20 ms). The killed node is started again as a BACKUP and the next round kills the new holder.',
    '',
    markdownTable(
      ['round', 'kill -9 → VIPs on the survivor (s)'],
      times.map((t, i) => [String(i + 1), t.toFixed(2)]),
    ),
    '',
    s.max <= FAILOVER_TARGET_S
      ? `Within ${FAILOVER_TARGET_S} s each time. With a 1 s advert interval a BACKUP declares the master dead 3 intervals plus its skew ` +
        '((256 − priority) / 256 s, 0.61 s at priority 100) after the last advert it heard: 3.61 s, so 2.6–3.6 s after a crash depending on when ' +
        'the last advert went out, plus taking the addresses. A shorter interval (ONEAPP_VNF_KEEPALIVED_INTERVAL, e.g. 0.5 s with VRRPv3) would halve it.'
      : `**Target missed: the slowest failover took ${s.max.toFixed(2)} s, ${(s.max - FAILOVER_TARGET_S).toFixed(2)} s over ${FAILOVER_TARGET_S} s.** ` +
        'With a 1 s advert interval a BACKUP declares the master dead 3 intervals plus its skew ((256 − priority) / 256 s, 0.61 s at priority 100) ' +
        'after the last advert it heard: up to 3.61 s before it even starts to take over, so there is little margin under 4 s on a busy machine; a shorter ' +
        'interval (ONEAPP_VNF_KEEPALIVED_INTERVAL, e.g. 0.5 s, VRRPv3 without a password) would halve it.',
  ].join('\n');
  return { title, figures, markdown };
}
