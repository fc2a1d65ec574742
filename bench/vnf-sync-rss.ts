// The memory of the `oneke vnf sync` daemon: the real dist/oneke following an emulated service at
// the fastest refresh the configuration allows (1 s), its resident set read from /proc over time.
// An hour at the default 3 s is 1200 polls; 1200 polls at 1 s would take 20 minutes, so the run is
// shorter and the trend is fitted and carried to 1200 polls (said so in the results).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { defaultToken, startEmulator } from '../src/emulator/index.ts';
import { contextSh } from '../test/support/binary.ts';
import { recordingSystemctl } from '../test/support/onegate-in-netns.ts';
import { workerBackend } from '../test/support/vnf-context.ts';
import { binaryFromDisk, REPO, scratch, sleep, type BenchContext } from './lib/context.ts';
import { markdownTable, type Figure, type Section } from './lib/report.ts';
import { HA_SHAPE, serviceState, SHAPES, shapeSize, shapeText, vnfContext, type Shape } from './lib/service-state.ts';
import { measureCommand } from './lib/measure-process.ts';
import { linearFit, summarize } from './lib/stats.ts';
import { lineChart } from './svg.ts';

const TARGET_MIB = 80;
const HOUR_POLLS = 1200;
const SAMPLE_MS = 2_000;
const CHANGE_EVERY_MS = 30_000;

interface Sample {
  t: number;
  polls: number;
  rssMiB: number;
  hwmMiB: number;
}

interface DaemonRun {
  shape: Shape;
  samples: Sample[];
  reloads: number;
  exit: string;
}

function memoryOf(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

const UNIT = path.join(REPO, 'appliance/systemd/oneke-vnf-sync.service');

/** The `Environment=` settings of the shipped unit, so that the daemon runs here as under systemd. */
export function unitEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  // One assignment per line, quoted whole when its value has spaces (systemd.exec's syntax).
  for (const [, quoted, plain] of fs.readFileSync(UNIT, 'utf8').matchAll(/^Environment=(?:"([^"]*)"|(\S+))$/gm)) {
    const [name, ...value] = (quoted ?? plain ?? '').split('=');
    if (name) env[name] = value.join('=');
  }
  return env;
}

async function followDaemon(ctx: BenchContext, shape: Shape, seconds: number): Promise<DaemonRun> {
  const { state, vms } = serviceState(shape, { formed: true });
  const emulator = await startEmulator({ state });
  const vnf = vms.find((vm) => vm.role === 'vnf');
  if (!vnf) throw new Error('no VNF');
  const dir = scratch(ctx, `vnf-sync-${shapeSize(shape)}`);
  const root = path.join(dir, 'root');
  fs.mkdirSync(root);
  const contextFile = path.join(dir, 'context.sh');
  fs.writeFileSync(contextFile, contextSh(vnfContext(vnf, emulator.url, defaultToken(10, vnf.id), { ONEAPP_VNF_HAPROXY_REFRESH_RATE: '1' })));
  const systemctl = await recordingSystemctl(dir);
  const child = spawn(binaryFromDisk(ctx).path, ['--root', root, '--context', contextFile, 'vnf', 'sync'], {
    // The machine's own namespace: the --root rule needs the override; systemctl here only records.
    env: { ...process.env, ...unitEnvironment(), ONEKE_SYSTEMCTL: systemctl.path, ONEKE_ALLOW_HOST_CHANGES: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `exit ${code}`)));
  const samples: Sample[] = [];
  const started = Date.now();
  let lastChange = started;
  let added = false;
  try {
    while (Date.now() - started < seconds * 1000) {
      await sleep(SAMPLE_MS);
      if (child.exitCode !== null) throw new Error(`oneke vnf sync exited early (${child.exitCode}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
      const mem = child.pid === undefined ? undefined : memoryOf(child.pid);
      if (mem) samples.push({ t: (Date.now() - started) / 1000, polls: emulator.stats().requests['GET /service?extended'], rssMiB: mem.rss, hwmMiB: mem.hwm });
      // A backend comes and goes every 30 s, so that rendering, `haproxy -c` and the reload run too.
      if (Date.now() - lastChange >= CHANGE_EVERY_MS) {
        lastChange = Date.now();
        if (added) emulator.removeVm(5000);
        else emulator.addVm('worker', { id: 5000, ip: '172.20.1.200', userTemplate: { READY: 'YES', ...workerBackend('172.20.1.200') } });
        added = !added;
      }
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
    await emulator.close();
  }
  return { shape, samples, reloads: (await systemctl.calls()).length, exit: await exited };
}

export interface VnfSyncRss {
  section: Section;
  svg: string;
}

export async function measureVnfSyncRss(ctx: BenchContext, seconds: number): Promise<VnfSyncRss> {
  // Both at once: the daemon of a small and of the largest service (each its own process and emulator).
  const runs = await Promise.all([followDaemon(ctx, HA_SHAPE, seconds), followDaemon(ctx, SHAPES[SHAPES.length - 1] ?? HA_SHAPE, seconds)]);
  // The same binary's start-up alone, for what is there before the first poll.
  const floor = summarize(measureCommand({ argv: [binaryFromDisk(ctx).path, '--version'], runs: 3, warmup: 1 }).peakRssMiB).median;
  const figures: Figure[] = [];
  const rows: string[][] = [];
  const analysis = runs.map((run) => {
    const last = run.samples.at(-1);
    // RSS saws up and down with V8's collections: the top of each minute is what grows if anything leaks.
    const minutes = new Map<number, Sample[]>();
    for (const s of run.samples) minutes.set(Math.floor(s.t / 60), [...(minutes.get(Math.floor(s.t / 60)) ?? []), s]);
    const tops = [...minutes.values()].map((ms) => ms.reduce((a, b) => (b.rssMiB > a.rssMiB ? b : a)));
    // The trend of those tops after the first minute (start-up and first renders are over by then), carried to 1200 polls.
    const steady = tops.length > 2 ? tops.slice(1) : tops;
    const fit = linearFit(
      steady.map((s) => s.polls),
      steady.map((s) => s.rssMiB),
    );
    const lastTop = tops.at(-1);
    const atHour = lastTop ? lastTop.rssMiB + fit.slope * Math.max(0, HOUR_POLLS - lastTop.polls) : Number.NaN;
    const peak = last?.hwmMiB ?? Number.NaN;
    // When the peak (VmHWM) came within 1 MiB of its final value: after that, no new high.
    const peakedAt = run.samples.find((s) => s.hwmMiB >= peak - 1);
    return { run, last, tops, fit, atHour, peak, peakedAt };
  });
  for (const a of analysis) {
    const size = shapeSize(a.run.shape);
    const worst = Math.max(a.peak, a.atHour);
    figures.push({
      name: `oneke vnf sync RSS, ${size} VMs, ${a.last?.polls ?? 0} polls at 1 s: peak; fitted to 1200 polls`,
      value: `peak ${a.peak.toFixed(1)} MiB (reached by poll ${a.peakedAt?.polls ?? '?'}), ${a.last?.rssMiB.toFixed(1) ?? '?'} MiB at the end; minute tops ${(a.fit.slope * 1000).toFixed(1)} MiB per 1000 polls → ${a.atHour.toFixed(1)} MiB at 1200`,
      target: `< ${TARGET_MIB} MiB`,
      met: worst < TARGET_MIB,
    });
    // Each minute: the lowest and highest RSS seen, the peak so far.
    for (const [minute, top] of a.tops.entries()) {
      const inMinute = a.run.samples.filter((s) => Math.floor(s.t / 60) === Math.floor(top.t / 60));
      const low = Math.min(...inMinute.map((s) => s.rssMiB));
      rows.push([String(size), `${minute}–${minute + 1}`, String(inMinute.at(-1)?.polls ?? ''), `${low.toFixed(1)}–${top.rssMiB.toFixed(1)}`, (inMinute.at(-1)?.hwmMiB ?? Number.NaN).toFixed(1)]);
    }
  }
  const colors = ['#1f77b4', '#d62728'];
  const svg = lineChart({
    title: 'oneke vnf sync: resident set while following the service (1 poll a second)',
    subtitle: `dist/oneke vnf sync against the OneGate emulator; ${runs.map((r) => shapeSize(r.shape)).join(' and ')} VMs; a backend added or removed every 30 s`,
    xLabel: 'polls (GET /service?extended)',
    yLabel: 'RSS (MiB)',
    hlines: [{ y: TARGET_MIB, label: `target: < ${TARGET_MIB} MiB`, color: '#2ca02c' }],
    series: runs.map((run, i) => ({ name: `${shapeSize(run.shape)} VMs`, color: colors[i] ?? '#333', points: run.samples.map((s) => [s.polls, s.rssMiB] as [number, number]) })),
  });

  const trendWords = (slope: number) => (Math.abs(slope * 1000) < 3 ? 'flat: no sign of a leak' : slope > 0 ? 'still rising: a longer run would tell whether it levels off' : 'falling');
  const misses = analysis
    .filter((a) => Math.max(a.peak, a.atHour) >= TARGET_MIB)
    .map(
      (a) =>
        `- **${shapeSize(a.run.shape)} VMs: peak ${a.peak.toFixed(1)} MiB, ${(a.peak - TARGET_MIB).toFixed(1)} MiB (${(((a.peak - TARGET_MIB) / TARGET_MIB) * 100).toFixed(0)} %) over < ${TARGET_MIB} MiB.** ` +
        `\`oneke --version\` of the same binary peaks at ${floor.toFixed(1)} MiB (Node 24 itself is about 42 MiB, see Start-up). The daemon then loads ` +
        'its libraries: undici (with the TLS and HTTP/2 modules of Node, about 30 MiB when required on its own), execa and pino. The polls add the ' +
        "service's answer (its text, the parsed objects, the rendered configuration) and the V8 heap sized around them, which grows with the service. " +
        `The tops of each minute after the first move by ${(a.fit.slope * 1000).toFixed(1)} MiB per 1000 polls: ${trendWords(a.fit.slope)}.`,
    );
  const markdown = [
    `The real \`dist/oneke vnf sync\` (a copy read from disk, see Start-up; a VNF's context, \`--root\` a temp folder, \`ONEKE_SYSTEMCTL\` a script that records its calls, \`haproxy -c\` for real) ` +
      `against the emulator in this process, with \`ONEAPP_VNF_HAPROXY_REFRESH_RATE=1\`, the smallest the configuration accepts, and the environment of ` +
      `the shipped unit (${
        Object.entries(unitEnvironment())
          .map(([k, v]) => `\`${k}=${v}\``)
          .join(', ') || 'none'
      }; without it the 250-VM daemon peaked about 10 MiB higher). An hour at the default 3 s ` +
      `is ${HOUR_POLLS} polls; that many at 1 s would take 20 minutes, so each daemon ran for ${(seconds / 60).toFixed(1)} minutes and its RSS (VmRSS; VmHWM ` +
      `for the peak) was read from /proc every ${SAMPLE_MS / 1000} s. RSS saws up and down with V8's garbage collections, so the trend is a least-squares ` +
      `line through the highest RSS of each minute after the first, carried to ${HOUR_POLLS} polls. Two daemons ran at once, for services of ${runs.map((r) => `${shapeSize(r.shape)} (${shapeText(r.shape)})`).join(' and ')} VMs, ` +
      `while the in-process measurements ran. Reloads recorded: ${runs.map((r) => `${r.reloads} (${shapeSize(r.shape)} VMs)`).join(', ')}; the daemons stopped on SIGTERM with ${runs.map((r) => r.exit).join(', ')}.`,
    '',
    markdownTable(['VMs', 'minute', 'polls by its end', 'RSS in the minute, lowest–highest (MiB)', 'peak so far (MiB)'], rows),
    '',
    '![RSS of oneke vnf sync over polls](vnf-sync-rss.svg)',
    '',
    ...(misses.length > 0 ? ['Target missed:', '', ...misses] : [`Below ${TARGET_MIB} MiB throughout, and at the fitted 1200 polls.`]),
  ].join('\n');
  return { section: { title: 'Memory of the `oneke vnf sync` daemon', figures, markdown }, svg };
}
