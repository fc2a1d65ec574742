// The memory of what a VNF runs, to size its VM: real keepalived, HAProxy and unbound (the DNS
// server the VNF runs) in a network namespace with the VNF's two NICs, and the real `oneke vnf sync`
// daemon following an emulated HA service. keepalived gets the file the VNF plan renders, HAProxy the
// haproxy.cfg the daemon writes, unbound a plausible configuration: the `vr` zone of the VNF's NICs
// served locally, everything else forwarded, and a burst of queries now and then. Each process's
// resident set (RSS) and proportional set (PSS, shared pages split among their users) is read from
// /proc/<pid>/smaps_rollup over the run; the peak of the sum is the figure.
//
// The daemon runs in the bench's own namespace, where the emulator listens on loopback: a namespace
// changes nothing in a process's memory. The OS itself (kernel, systemd, journald, one-context) is
// not measured here: see the section's text for how the VNF template is sized from this figure.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { defaultToken, startEmulator } from '../src/emulator/index.ts';
import { renderKeepalivedConf } from '../src/render/keepalived-conf.ts';
import { vrrpInstances } from '../src/roles/vnf/plan.ts';
import { configFrom } from '../test/support/cluster.ts';
import { contextSh } from '../test/support/binary.ts';
import { recordingSystemctl } from '../test/support/onegate-in-netns.ts';
import { binaryFromDisk, scratch, sleep, type BenchContext } from './lib/context.ts';
import { ip, isRoot, Namespaces } from './lib/netns.ts';
import { markdownTable, notMeasured, reasonOf, type Figure, type Section } from './lib/report.ts';
import { HA_SHAPE, serviceState, shapeSize, vnfContext } from './lib/service-state.ts';
import { unitEnvironment } from './vnf-sync-rss.ts';

/** The official VNF's memory (the Alpine VRouter of OneKE 1.33). */
export const OFFICIAL_VNF_MIB = 512;
/** What our VNF role asks for (appliance/oneflow/oneke-service.json, the vnf role's MEMORY). */
export const VNF_TEMPLATE_MIB = 768;
const SAMPLE_MS = 2_000;
const QUERY_EVERY_MS = 10_000;

interface Memory {
  rssMiB: number;
  pssMiB: number;
}

function memoryOf(pid: number): Memory | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);
    return { rssMiB: kib('Rss') / 1024, pssMiB: kib('Pss') / 1024 };
  } catch {
    return undefined;
  }
}

function commandOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

async function pidsIn(ns: string): Promise<number[]> {
  const { execFile } = await import('node:child_process');
  const out = await new Promise<string>((resolve) => execFile('ip', ['netns', 'pids', ns], (_e, stdout) => resolve(String(stdout ?? ''))));
  return out
    .split(/\s+/)
    .filter((p) => /^\d+$/.test(p))
    .map(Number);
}

/** A plausible unbound.conf for a VNF: the names of its NICs in the `vr` zone, the rest forwarded. */
function unboundConf(dir: string, addresses: { eth0: string; eth1: string; vip0: string; vip1: string }): string {
  const records = [
    ['ip0.eth0.vr', addresses.eth0],
    ['ip0.eth1.vr', addresses.eth1],
    ['vip0.eth0.vr', addresses.vip0],
    ['vip0.eth1.vr', addresses.vip1],
    ['ep0.eth0.vr', addresses.vip0],
    ['ep0.eth1.vr', addresses.vip1],
  ];
  return [
    'server:',
    '  verbosity: 0',
    '  use-syslog: no',
    '  logfile: ""',
    '  chroot: ""',
    '  username: ""',
    `  directory: "${dir}"`,
    `  pidfile: "${path.join(dir, 'unbound.pid')}"`,
    `  interface: ${addresses.eth1}`,
    `  interface: ${addresses.vip1}`,
    '  ip-freebind: yes',
    '  port: 53',
    '  do-ip6: no',
    '  access-control: 0.0.0.0/0 refuse',
    '  access-control: 172.20.0.0/24 allow',
    '  access-control: 127.0.0.0/8 allow',
    '  num-threads: 1',
    '  cache-max-ttl: 300',
    '  local-zone: "vr." static',
    ...records.map(([name, address]) => `  local-data: "${name}. 60 IN A ${address}"`),
    'remote-control:',
    '  control-enable: no',
    'forward-zone:',
    '  name: "."',
    // Documentation addresses: nothing answers, as on a VNF whose upstream is down; the forwarder still holds its state.
    '  forward-addr: 192.0.2.1',
    '  forward-addr: 192.0.2.2',
    '',
  ].join('\n');
}

interface Peak {
  totalRss: number;
  totalPss: number;
  byCommand: Map<string, Memory>;
}

export interface VnfMemory {
  section: Section;
  /** Peak of the summed PSS, MiB. */
  peakPssMiB: number;
  peakRssMiB: number;
}

export async function measureVnfMemory(ctx: BenchContext, seconds: number): Promise<VnfMemory> {
  const title = 'Memory of a VNF: keepalived, HAProxy, unbound and `oneke vnf sync`';
  const figureName = 'VNF daemons together (keepalived, HAProxy, unbound, oneke vnf sync): peak summed PSS (RSS)';
  if (!isRoot()) {
    return { section: { title, figures: [notMeasured(figureName, 'needs root (network namespaces)')], markdown: 'Not measured: needs root.' }, peakPssMiB: Number.NaN, peakRssMiB: Number.NaN };
  }
  const nets = new Namespaces();
  const { state, vms } = serviceState(HA_SHAPE, { formed: true });
  const emulator = await startEmulator({ state });
  const vnf = vms.find((vm) => vm.role === 'vnf');
  if (!vnf) throw new Error('no VNF in the HA shape');
  const dir = scratch(ctx, 'vnf-memory');
  const root = path.join(dir, 'root');
  fs.mkdirSync(root, { recursive: true });
  const context = vnfContext(vnf, emulator.url, defaultToken(10, vnf.id));
  const addresses = { eth0: context.ETH0_IP ?? '', eth1: context.ETH1_IP ?? '', vip0: context.ONEAPP_VROUTER_ETH0_VIP0 ?? '', vip1: context.ONEAPP_VROUTER_ETH1_VIP0 ?? '' };
  let daemon: ReturnType<typeof spawn> | undefined;
  const peak: Peak = { totalRss: 0, totalPss: 0, byCommand: new Map() };
  let samples = 0;
  let queries = 0;
  let answered = 0;
  try {
    // The VNF's namespace: eth0 and eth1 as veths to a switch namespace, the VNF's sysctls for binding VIPs.
    const sw = await nets.add('switch');
    const ns = await nets.add('vnf');
    for (const [dev, address] of [
      ['eth0', `${addresses.eth0}/24`],
      ['eth1', `${addresses.eth1}/24`],
    ] as const) {
      await ip(['-n', sw, 'link', 'add', `m${dev}`, 'type', 'veth', 'peer', 'name', dev, 'netns', ns]);
      await ip(['-n', sw, 'link', 'set', `m${dev}`, 'up']);
      await ip(['-n', ns, 'addr', 'add', address, 'dev', dev]);
      await ip(['-n', ns, 'link', 'set', dev, 'up']);
    }
    const sysctl = nets.spawn(ns, 'sysctl', ['-w', 'net.ipv4.ip_nonlocal_bind=1']);
    await new Promise((resolve) => sysctl.child.once('exit', resolve));

    // The sync daemon first: it writes the haproxy.cfg that HAProxy then runs.
    const contextFile = path.join(dir, 'context.sh');
    fs.writeFileSync(contextFile, contextSh(context));
    const systemctl = await recordingSystemctl(dir);
    daemon = spawn(binaryFromDisk(ctx).path, ['--root', root, '--context', contextFile, 'vnf', 'sync'], {
      env: { ...process.env, ...unitEnvironment(), ONEKE_SYSTEMCTL: systemctl.path },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    const cfg = path.join(root, 'etc/haproxy/haproxy.cfg');
    const deadline = Date.now() + 30_000;
    while (!fs.existsSync(cfg)) {
      if (Date.now() > deadline) throw new Error('oneke vnf sync wrote no haproxy.cfg within 30 s');
      await sleep(200);
    }

    const keepalivedConf = path.join(dir, 'keepalived.conf');
    fs.writeFileSync(keepalivedConf, renderKeepalivedConf({ routerId: `oneke-vm-${vnf.id}`, syncGroup: 'ONEKE', instances: vrrpInstances(configFrom(context)) }), { mode: 0o600 });
    const f = (name: string) => path.join(dir, name);
    const spawned = [
      nets.spawn(ns, 'keepalived', ['-n', '-l', '-D', '-f', keepalivedConf, '-p', f('k.pid'), '-r', f('vrrp.pid'), '-c', f('checkers.pid'), '-b', f('bfd.pid')]),
      nets.spawn(ns, 'haproxy', ['-db', '-f', cfg]),
    ];
    const unboundFile = path.join(dir, 'unbound.conf');
    fs.writeFileSync(unboundFile, unboundConf(dir, addresses));
    spawned.push(nets.spawn(ns, 'unbound', ['-d', '-c', unboundFile]));
    const batch = path.join(dir, 'queries.txt');
    const names = ['ip0.eth0.vr', 'ip0.eth1.vr', 'vip0.eth0.vr', 'vip0.eth1.vr', 'ep0.eth0.vr', 'ep0.eth1.vr'];
    fs.writeFileSync(batch, `${Array.from({ length: 50 }, () => names.map((n) => `@${addresses.eth1} +tries=1 +time=1 ${n} A`).join('\n')).join('\n')}\n`);

    const started = Date.now();
    let lastQueries = 0;
    while (Date.now() - started < seconds * 1000) {
      await sleep(SAMPLE_MS);
      if (daemon.exitCode !== null) throw new Error(`oneke vnf sync exited early (${daemon.exitCode})`);
      if (Date.now() - lastQueries >= QUERY_EVERY_MS) {
        lastQueries = Date.now();
        const dig = nets.spawn(ns, 'dig', ['-f', batch, '+short']);
        await new Promise((resolve) => dig.child.once('exit', resolve));
        queries += 50 * names.length;
        answered += dig
          .output()
          .split('\n')
          .filter((line) => Object.values(addresses).includes(line.trim())).length;
      }
      const pids = [...(await pidsIn(ns)), ...(daemon.pid === undefined ? [] : [daemon.pid])];
      const now = new Map<string, Memory>();
      for (const pid of pids) {
        const memory = memoryOf(pid);
        // The agent's main thread is called MainThread (Node): it is known by its pid.
        const command = pid === daemon.pid ? 'oneke vnf sync' : commandOf(pid);
        if (!memory || !['keepalived', 'haproxy', 'unbound', 'oneke vnf sync'].includes(command)) continue;
        const sum = now.get(command) ?? { rssMiB: 0, pssMiB: 0 };
        now.set(command, { rssMiB: sum.rssMiB + memory.rssMiB, pssMiB: sum.pssMiB + memory.pssMiB });
      }
      if (now.size < 4) continue; // not everything runs yet
      samples += 1;
      const totalRss = [...now.values()].reduce((a, m) => a + m.rssMiB, 0);
      const totalPss = [...now.values()].reduce((a, m) => a + m.pssMiB, 0);
      peak.totalRss = Math.max(peak.totalRss, totalRss);
      peak.totalPss = Math.max(peak.totalPss, totalPss);
      for (const [command, memory] of now) {
        const before = peak.byCommand.get(command) ?? { rssMiB: 0, pssMiB: 0 };
        peak.byCommand.set(command, { rssMiB: Math.max(before.rssMiB, memory.rssMiB), pssMiB: Math.max(before.pssMiB, memory.pssMiB) });
      }
    }
    if (answered < queries) throw new Error(`unbound answered ${answered} of ${queries} queries for the vr names: its configuration does not serve them`);
    if (samples === 0) {
      const exited = spawned.filter((s) => s.child.exitCode !== null).map((s) => `${s.child.spawnargs[3]} (${s.child.exitCode}): ${s.output().trim().split('\n').slice(-2).join(' | ')}`);
      throw new Error(`keepalived, HAProxy, unbound and oneke never ran all at once${exited.length > 0 ? `; exited: ${exited.join('; ')}` : ''}`);
    }
  } catch (error) {
    return { section: { title, figures: [notMeasured(figureName, reasonOf(error))], markdown: `Not measured: ${reasonOf(error)}` }, peakPssMiB: Number.NaN, peakRssMiB: Number.NaN };
  } finally {
    daemon?.kill('SIGTERM');
    await nets.cleanup();
    await emulator.close();
  }

  const agentPss = peak.byCommand.get('oneke vnf sync')?.pssMiB ?? 0;
  const figures: Figure[] = [{ name: figureName, value: `${peak.totalPss.toFixed(1)} MiB PSS (${peak.totalRss.toFixed(1)} MiB RSS)` }];
  const rows = [...peak.byCommand].sort(([a], [b]) => a.localeCompare(b)).map(([command, m]) => [command, m.pssMiB.toFixed(1), m.rssMiB.toFixed(1)]);
  const markdown = [
    `One VNF of the ${shapeSize(HA_SHAPE)}-VM HA service in a network namespace (eth0 ${addresses.eth0}, eth1 ${addresses.eth1}, ` +
      '`net.ipv4.ip_nonlocal_bind=1`), running the real keepalived with the file the VNF plan renders (both VIPs, one VRRP instance per NIC), ' +
      "HAProxy with the haproxy.cfg that `oneke vnf sync` wrote for the emulated service, and unbound serving the VNF's `vr` names on eth1 and the " +
      `private VIP and forwarding the rest (to addresses that do not answer), queried ${queries} times during the run (every answer right); \`oneke vnf sync\` itself ` +
      `(dist/oneke, the shipped unit's environment) polled the emulator at the default refresh rate. ${samples} samples, every ${SAMPLE_MS / 1000} s ` +
      `over ${(seconds / 60).toFixed(1)} minutes, of each process's Rss and Pss in /proc/<pid>/smaps_rollup (keepalived and HAProxy count all their processes).`,
    '',
    markdownTable(['program', 'peak PSS (MiB)', 'peak RSS (MiB)'], rows),
    '',
    `Peak of the sum: **${peak.totalPss.toFixed(1)} MiB PSS, ${peak.totalRss.toFixed(1)} MiB RSS** (RSS counts shared library pages once per process, ` +
      'so the PSS sum is what these programs take together).',
    '',
    `Sizing the VNF from it: at boot, \`oneke configure\` and then \`oneke bootstrap\` run next to these daemons, one at a time, each about ` +
      `the size of the sync daemon (${agentPss.toFixed(0)} MiB), so the VNF's own programs peak near ${(peak.totalPss + agentPss).toFixed(0)} MiB. The official VNF ` +
      `(Alpine) has ${OFFICIAL_VNF_MIB} MiB; ours boots the Ubuntu 24.04 image of every role, whose kernel, systemd, journald, one-context and the ` +
      "cloud image's own services (snapd, multipathd, unattended-upgrades) are not measured here and would have to fit in the " +
      `${(OFFICIAL_VNF_MIB - peak.totalPss - agentPss).toFixed(0)} MiB left, page cache for the agent binary (${(fs.statSync(binaryFromDisk(ctx).path).size / 1048576).toFixed(0)} MiB) included. The vnf role therefore ` +
      `asks for ${VNF_TEMPLATE_MIB} MiB and 1 vCPU; measure \`free -m\` on a booted VNF before lowering it to ${OFFICIAL_VNF_MIB}.`,
  ].join('\n');
  return { section: { title, figures, markdown }, peakPssMiB: peak.totalPss, peakRssMiB: peak.totalRss };
}
