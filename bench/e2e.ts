// The end-to-end figures (total formation of the 1/1/1/1 and HA services, boot to READY per role,
// VIP failover) from the harness of test/e2e (every VM a container with real systemd), run in a
// child process with a time limit. When the harness does not work, every figure says "not measured"
// and why.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isRoot, ip } from './lib/netns.ts';
import { REPO, scratch, type BenchContext } from './lib/context.ts';
import { markdownTable, notMeasured, type Figure, type Section } from './lib/report.ts';
import { ROLES, shapeText } from './lib/service-state.ts';
import { fmt, summarize } from './lib/stats.ts';
import type { E2eData, E2eFormation } from './e2e/measure.ts';
import { FAILOVER_TARGET_S } from './failover.ts';
import { e2eTimelineSvg } from './timeline.ts';

export interface E2eResult {
  section: Section;
  /** The HA formation, when it formed: its timeline, for the picture. */
  ha?: E2eFormation;
}

const NAMES = {
  single: 'formation of the 1/1/1/1 service (e2e, real systemd)',
  ha: 'formation of the HA 2/3/3/2 service (e2e, real systemd)',
  failover: 'VIP failover after kill -9 of the holder (e2e harness)',
  bootToReady: 'boot → READY per role, HA 2/3/3/2 (e2e, real systemd)',
};

async function namespaces(): Promise<string[]> {
  return (await ip(['netns', 'list']).catch(() => ''))
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Namespaces (and the machine's cables) that a killed harness left: new since `before`, of a process that is gone. */
async function removeLeftovers(before: Set<string>): Promise<void> {
  for (const ns of await namespaces()) {
    const pid = Number(/^okt-(\d+)-/.exec(ns)?.[1]);
    if (before.has(ns) || !pid || alive(pid)) continue;
    const pids = (await ip(['netns', 'pids', ns]).catch(() => '')).split(/\s+/).filter((p) => /^\d+$/.test(p));
    for (const p of pids) {
      try {
        process.kill(Number(p), 'SIGKILL');
      } catch {
        // Gone.
      }
    }
    await ip(['netns', 'del', ns]).catch(() => undefined);
    await ip(['link', 'del', `okt${pid % 100000}h${ns.split('-')[2] ?? ''}`.slice(0, 15)]).catch(() => undefined);
  }
}

/**
 * Processes that run the harness now, by their namespaces (`okt-<pid>-…`). The harness puts fixed
 * addresses on the machine (198.51.100.250, the emulator's), so two runs at once break each other.
 */
async function harnessRuns(): Promise<number[]> {
  const pids = new Set<number>();
  for (const ns of await namespaces()) {
    const pid = Number(/^okt-(\d+)-/.exec(ns)?.[1]);
    if (pid && alive(pid)) pids.add(pid);
  }
  return [...pids];
}

/** Runs `argv` in its own process group; kills the group after `timeoutMs`. */
function runChild(ctx: BenchContext, argv: string[], env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; output: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(ctx.node, argv, {
      cwd: REPO,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Node 24 first on PATH: the harness starts `node` for its simulated units.
      env: { ...process.env, ...env, PATH: `${path.dirname(ctx.node)}:${process.env.PATH ?? ''}` },
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        // Gone.
      }
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, timedOut });
    });
  });
}

/**
 * Seconds from a VM's container starting to its READY=YES, per role, from a formation's timeline:
 * each VM's first boot under its role, and boots after a reboot (the VNFs of the failover rounds)
 * under `<role>, rebooted`.
 */
export function bootToReady(f: E2eFormation): Map<string, number[]> {
  const booting = new Map<number, { t: number; boots: number }>();
  const byRole = new Map<string, number[]>();
  for (const e of f.timeline) {
    if (e.vm === undefined || e.role === undefined) continue;
    if (e.what === 'booting') booting.set(e.vm, { t: e.t, boots: (booting.get(e.vm)?.boots ?? 0) + 1 });
    const boot = booting.get(e.vm);
    // The first READY of each boot only: a later publish of the same key is no new boot.
    if (e.what === 'published READY=YES' && boot !== undefined && boot.t >= 0) {
      const key = boot.boots === 1 ? e.role : `${e.role}, rebooted`;
      byRole.set(key, [...(byRole.get(key) ?? []), e.t - boot.t]);
      boot.t = -1;
    }
  }
  return byRole;
}

function lastLines(text: string, n = 3): string {
  return text
    .split('\n')
    .map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').trim())
    .filter((l) => l !== '')
    .slice(-n)
    .join(' | ')
    .slice(0, 400);
}

export async function measureE2e(ctx: BenchContext, minutes: number): Promise<E2eResult> {
  const title = TITLE;
  const failoverTarget = `≤ ${FAILOVER_TARGET_S} s`;
  const notAtAll = (reason: string): E2eResult => ({
    section: {
      title,
      figures: [notMeasured(NAMES.single, reason), notMeasured(NAMES.ha, reason), notMeasured(NAMES.bootToReady, reason), notMeasured(NAMES.failover, reason, failoverTarget)],
      markdown: `Not measured: ${reason}.`,
    },
  });
  if (!isRoot()) return notAtAll('needs root (network namespaces, keepalived, HAProxy)');
  if (!(minutes > 0)) return notAtAll('skipped (BENCH_E2E_MINUTES=0)');

  // Wait for another harness run to end rather than break both.
  const waitUntil = Date.now() + Math.min(3, minutes / 2) * 60_000;
  let others = await harnessRuns();
  while (others.length > 0 && Date.now() < waitUntil) {
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    others = await harnessRuns();
  }
  if (others.length > 0) {
    return notAtAll(
      `another end-to-end run (process ${others.join(', ')}) was using the harness's fixed addresses on this machine for ${Math.min(3, minutes / 2)} minutes; two runs at once break each other`,
    );
  }

  const out = path.join(scratch(ctx, 'e2e'), 'e2e.json');
  const before = new Set(await namespaces());
  // Harness runs seen while ours runs; those still alive afterwards were not ours.
  const seen = new Set<number>();
  const watcher = setInterval(
    () =>
      void harnessRuns().then((pids) => {
        for (const p of pids) seen.add(p);
      }),
    5_000,
  );
  const env = { BENCH_E2E_ROUNDS: String(ctx.pick(3, 1)) };
  const how = 'node bench/e2e/measure.ts';
  const result = await runChild(ctx, ['bench/e2e/measure.ts', out], env, minutes * 60_000);
  clearInterval(watcher);
  await removeLeftovers(before);
  const concurrent = [...seen].filter(alive);
  const alongside = concurrent.length > 0 ? ` (another harness run, process ${concurrent.join(', ')}, ran at the same time on the same fixed addresses)` : '';
  if (!fs.existsSync(out)) {
    return notAtAll(
      (result.timedOut ? `the harness did not finish within ${minutes} minutes (run through ${how}): ` : `the harness failed (run through ${how}, exit ${result.code}): `) +
        lastLines(result.output) +
        alongside,
    );
  }

  const data = JSON.parse(fs.readFileSync(out, 'utf8')) as E2eData;
  if (alongside) {
    for (const f of data.formations) if (f.error) f.error += alongside;
    if (data.failover.error) data.failover.error += alongside;
  }
  return e2eSection(data, how);
}

const TITLE = 'End to end: whole services of containers with real systemd';

/**
 * A master that dies in silence is declared dead by the BACKUP 3 adverts plus its skew after the
 * last advert it heard (3.61 s at 1 s and priority 100): at least 2.6 s after the crash. A round
 * quicker than that saw a goodbye advert, not a crash.
 */
const SILENT_FAILOVER_MIN_S = 2.6;

function quickRounds(seconds: readonly number[]): string[] {
  const quick = seconds.flatMap((s, i) => (s < SILENT_FAILOVER_MIN_S ? [`${i + 1} (${s.toFixed(2)} s)`] : []));
  if (quick.length === 0) return [];
  return [
    '',
    `Round${quick.length > 1 ? 's' : ''} ${quick.join(', ')} took less than the ${SILENT_FAILOVER_MIN_S} s that a master dying in silence takes at least ` +
      "(3 adverts of 1 s plus the skew, after its last advert): the other VNF heard a goodbye (priority-0) advert, as when keepalived's parent alone " +
      "is killed: that round measures a graceful handover, not a crash. (Runs measured before `crashUnit` killed a unit's cgroup at once with " +
      "cgroup.kill, instead of its processes one after the other, let the VRRP child learn of its parent's death first.)",
  ];
}

/** Table order: the roles in OneFlow's order, each VM's first boots before the reboots. */
const roleRank = (key: string) => ROLES.indexOf(key.split(',')[0] as (typeof ROLES)[number]) * 2 + (key.includes(',') ? 1 : 0);

/** The section and its figures from what bench/e2e/measure.ts wrote; `how` says how it ran. */
export function e2eSection(data: E2eData, how: string): E2eResult {
  const failoverTarget = `≤ ${FAILOVER_TARGET_S} s`;
  const figures: Figure[] = [];
  const [single, ha] = data.formations;
  const formationFigure = (name: string, f: E2eFormation | undefined) => (f?.seconds !== undefined ? { name, value: `${f.seconds.toFixed(1)} s (n=1)` } : notMeasured(name, f?.error ?? 'did not run'));
  figures.push(formationFigure(NAMES.single, single));
  figures.push(formationFigure(NAMES.ha, ha));
  if (ha?.seconds !== undefined) {
    const perRole = bootToReady(ha);
    const roles = ['vnf', 'master', 'worker', 'storage'].filter((role) => perRole.has(role));
    figures.push({
      name: `${NAMES.bootToReady}: ${roles.join(' / ')}, median (max)`,
      value: `${roles
        .map((role) => summarize(perRole.get(role) ?? []))
        .map((r) => `${r.median.toFixed(1)} (${r.max.toFixed(1)})`)
        .join(' / ')} s`,
    });
  } else {
    figures.push(notMeasured(NAMES.bootToReady, ha?.error ?? 'did not run'));
  }
  const failover = summarize(data.failover.seconds);
  figures.push(
    failover.n > 0
      ? { name: NAMES.failover, value: fmt(failover, 's', 2), target: failoverTarget, met: failover.max <= FAILOVER_TARGET_S }
      : notMeasured(NAMES.failover, data.failover.error ?? (ha?.error ? `the HA service did not form: ${ha.error}` : 'no round ran'), failoverTarget),
  );
  const markdown = [
    `Run through ${how}: \`SimulatedService.create({shape})\`, \`deploy()\` (OneFlow's order: VNFs, then every other VM at once once the VNFs are READY), ` +
      'timed from deploy() to every VM READY. On the formed HA service, the VNF that holds the VIP has its keepalived and HAProxy killed with ' +
      "SIGKILL to every process of their units (their cgroups in the VM, keepalived's VRRP child included), timed until the other VNF carries the public VIP; the stale VIPs are " +
      "then removed from the dead VNF, it reboots, and the next round kills the new holder. (Killing keepalived's parent alone is not a crash: its " +
      'VRRP child then leaves gracefully with a priority-0 advert, and the failover takes about 0.7 s.)' +
      (data.failover.error ? ` Failover rounds stopped: ${data.failover.error}.` : ''),
    '',
    markdownTable(
      ['service', 'formation (deploy → all READY)', 'note'],
      data.formations.map((f) => [shapeText(f.shape), f.seconds !== undefined ? `${f.seconds.toFixed(1)} s` : 'did not form', f.error ?? '']),
    ),
    '',
    "**Boot to READY per role under real systemd**, from the timelines of these formations (`service.timeline`): from the harness starting the VM's " +
      "container (`systemd-nspawn -b` on the root of build-rootfs.sh: the container's systemd boots, the one-context stand-in runs the boot hook, " +
      '`oneke configure` and `oneke bootstrap`) to the emulated OneGate receiving its `READY=YES`. It includes the waits for peers: ' +
      'OneFlow starts every master, worker and storage VM at once when the VNFs are READY; the first master initialises RKE2 (the stand-in of ' +
      'test/e2e/standin, not the real RKE2: no images to pull), the other masters join one at a time after it, and workers and storage nodes wait ' +
      "for the first master's READY. So a master's figure grows with its place in the join order, and the agents' with the first master's. " +
      'The rows "rebooted" are the VNFs rebooted by the failover rounds (their second and later boots: the peers are READY then).',
    '',
    markdownTable(
      ['service', 'role', 'boots', 'boot → READY, median', 'min–max'],
      data.formations.flatMap((f) =>
        [...bootToReady(f)]
          .sort(([a], [b]) => roleRank(a) - roleRank(b))
          .map(([role, seconds]) => {
            const r = summarize(seconds);
            return [shapeText(f.shape), role, String(r.n), `${r.median.toFixed(1)} s`, `${r.min.toFixed(1)}–${r.max.toFixed(1)} s`];
          }),
      ),
    ),
    '',
    failover.n > 0
      ? markdownTable(
          ['round', 'kill -9 → VIP on the other VNF (s)'],
          data.failover.seconds.map((s, i) => [String(i + 1), s.toFixed(2)]),
        )
      : '',
    ...quickRounds(data.failover.seconds),
    ...(data.load
      ? [
          '',
          `Load average (1, 5, 15 min) before: ${data.load.before.map((l) => l.toFixed(2)).join(', ')}; after: ${data.load.after.map((l) => l.toFixed(2)).join(', ')}` +
            `${data.started ? ` (run of ${data.started.slice(0, 16)}Z)` : ''}. Ten containers booting at once load the 2 cores by themselves; the machine is shared, and these times grow with its load.`,
        ]
      : []),
    ...(ha?.seconds !== undefined ? ['', 'The timeline of the HA formation: [e2e-timeline.svg](e2e-timeline.svg).', '', '![timeline of the HA formation, end to end](e2e-timeline.svg)'] : []),
  ].join('\n');
  return { section: { title: TITLE, figures, markdown }, ...(ha?.seconds !== undefined ? { ha } : {}) };
}

// node bench/e2e.ts <e2e.json> [timeline.svg]: the section from a file of bench/e2e/measure.ts, run on
// its own (as root, alone on the machine), and the HA formation's timeline picture when asked for.
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === import.meta.filename) {
  const [file, svg] = process.argv.slice(2);
  if (!file) throw new Error('usage: node bench/e2e.ts <e2e.json from bench/e2e/measure.ts> [timeline.svg]');
  const result = e2eSection(JSON.parse(fs.readFileSync(file, 'utf8')) as E2eData, 'node bench/e2e/measure.ts');
  if (svg && result.ha) fs.writeFileSync(svg, e2eTimelineSvg(result.ha));
  console.log(`## ${result.section.title}\n\n${result.section.markdown}\n`);
  for (const f of result.section.figures) console.log(`| ${f.name} | ${f.value} | ${f.target ?? ''} | ${f.met === undefined ? '' : f.met ? 'met' : 'MISSED'} |`);
}
