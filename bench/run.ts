// `npm run bench`: measures oneke on this machine and writes bench/results.md and the pictures
// (bench/*.svg). Prints a table of the headline figures. Needs root for the namespace figures.
//
// Environment: BENCH_QUICK=1 (short runs, to try the bench), BENCH_SYNC_SECONDS (how long the
// vnf sync daemons run, default 360), BENCH_E2E_MINUTES (time limit of the end-to-end part,
// default 6; 0 skips it), BENCH_VNF_MEMORY_SECONDS (how long the VNF's daemons run together, default
// 120), BENCH_IMAGE=0 (skips the image build: VM root file system, base image, mirror, Packer,
// boot), BENCH_IMAGE_COLD_BASE=0 (the base image from the shared cache, not built cold).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { measureE2e } from './e2e.ts';
import { measureFailover } from './failover.ts';
import { measureHaproxyConvergence } from './haproxy-convergence.ts';
import { measureImage } from './image.ts';
import { measureInputParsing } from './input-parsing.ts';
import { measureJoinLatency } from './join-latency.ts';
import { BENCH_DIR, BINARY, createContext } from './lib/context.ts';
import { machine, machineLine } from './lib/machine.ts';
import { markdownTable, metText, notMeasured, reasonOf, textTable, type Section } from './lib/report.ts';
import { measureOneGateCost } from './onegate-cost.ts';
import { measureStartup } from './startup.ts';
import { summarize } from './lib/stats.ts';
import { lineChart } from './svg.ts';
import { e2eTimelineSvg, formationTimelineSvg } from './timeline.ts';
import { measureVnfMemory } from './vnf-memory.ts';
import { measureVnfSyncRss } from './vnf-sync-rss.ts';

const ctx = createContext();
const started = Date.now();
const host = machine();
const loadBefore = os.loadavg();
const sections: Section[] = [];
const pictures: Record<string, string> = {};

function say(line: string): void {
  console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
}

/** Runs one measurement; a failure becomes a section that says so, and the bench goes on. */
async function step<T>(title: string, run: () => Promise<T>, toSection: (value: T) => Section): Promise<T | undefined> {
  say(`${title}…`);
  try {
    const value = await run();
    sections.push(toSection(value));
    return value;
  } catch (error) {
    say(`${title}: failed: ${reasonOf(error)}`);
    sections.push({ title, figures: [notMeasured(title, reasonOf(error))], markdown: `Not measured: ${reasonOf(error)}` });
    return undefined;
  }
}

if (!fs.existsSync(BINARY)) {
  console.error(`bench: ${BINARY} is missing; run \`npm run bench\` (it builds first) or \`npm run build\``);
  process.exit(2);
}
say(`machine: ${machineLine(host)}${ctx.quick ? ' (BENCH_QUICK: short runs)' : ''}`);

await step(
  'Start-up and `oneke plan` on 250 VMs',
  () => measureStartup(ctx),
  (s) => s,
);
await step(
  'Input parsing',
  async () => measureInputParsing(),
  (s) => s,
);

// The daemons' memory is followed for minutes while the in-process measurements run.
const syncSeconds = Number(process.env.BENCH_SYNC_SECONDS ?? ctx.pick(360, 30));
say(`oneke vnf sync: two daemons for ${syncSeconds} s, in the background`);
const syncRun = measureVnfSyncRss(ctx, syncSeconds).then(
  (value) => ({ value }),
  (error: unknown) => ({ error }),
);

const cost = await step(
  'OneGate requests',
  () => measureOneGateCost(ctx, say),
  (c) => c.section,
);
if (cost) {
  const sizes = cost.formations.map((f) => f.size);
  const med = (xs: number[]) => summarize(xs).median;
  pictures['requests.svg'] = lineChart({
    title: 'OneGate requests against service size',
    subtitle: 'ours measured by the OneGate emulator; the reference agent modelled with 1 + N requests per poll',
    xLabel: 'VMs in the service (N)',
    yLabel: 'requests',
    logX: true,
    logY: true,
    xTicks: sizes,
    series: [
      { name: 'reference model: per formation', color: '#d62728', dashed: true, labels: true, points: cost.formations.map((f) => [f.size, med(f.reference)]) },
      { name: 'ours: per formation (measured)', color: '#1f77b4', labels: true, points: cost.formations.map((f) => [f.size, med(f.ours)]) },
      { name: 'reference: per poll (1 + N)', color: '#ff9896', dashed: true, points: cost.polls.map((p) => [p.size, 1 + p.size]) },
      { name: 'ours: per poll (measured)', color: '#9ecae1', points: cost.polls.map((p) => [p.size, p.workerPoll]) },
    ],
  });
}

const joins = await step(
  'Joining after the first master',
  () => measureJoinLatency(ctx, say),
  (j) => j.section,
);
if (joins?.first) pictures['timeline.svg'] = formationTimelineSvg(joins.first);

await step(
  'HAProxy convergence',
  () => measureHaproxyConvergence(ctx),
  (s) => s,
);

say('waiting for the oneke vnf sync daemons');
const sync = await syncRun;
if ('value' in sync) {
  sections.push(sync.value.section);
  pictures['vnf-sync-rss.svg'] = sync.value.svg;
} else {
  sections.push({ title: 'Memory of the `oneke vnf sync` daemon', figures: [notMeasured('oneke vnf sync RSS', reasonOf(sync.error), '< 80 MiB')], markdown: `Not measured: ${reasonOf(sync.error)}` });
}

await step(
  'VIP failover (namespaces, real keepalived)',
  () => measureFailover(ctx),
  (s) => s,
);

// What a VNF runs, together, to size its VM (appliance/README.md).
const vnfMemorySeconds = Number(process.env.BENCH_VNF_MEMORY_SECONDS ?? ctx.pick(120, 30));
await step(
  'Memory of a VNF',
  () => measureVnfMemory(ctx, vnfMemorySeconds),
  (m) => m.section,
);

const e2eMinutes = Number(process.env.BENCH_E2E_MINUTES ?? ctx.pick(6, 4));
const e2e = await step(
  'End to end: whole services of containers with real systemd',
  () => measureE2e(ctx, e2eMinutes),
  (r) => r.section,
);
if (e2e?.ha) pictures['e2e-timeline.svg'] = e2eTimelineSvg(e2e.ha);

if (process.env.BENCH_IMAGE !== '0')
  await step(
    'The appliance image (Packer on QEMU TCG)',
    () => measureImage(ctx, say),
    (s) => s,
  );

// ---------------------------------------------------------------------------------------------
// Output: the table on stdout, results.md and the pictures.

const figures = sections.flatMap((s) => s.figures);
const header = ['figure', 'result', 'target', ''];
const rows = figures.map((f) => [f.name, f.value, f.target ?? '', metText(f)]);
const elapsed = (Date.now() - started) / 1000;
const loadAfter = os.loadavg();

for (const [name, svg] of Object.entries(pictures)) fs.writeFileSync(path.join(BENCH_DIR, name), svg);
const timelineNote = pictures['timeline.svg']
  ? 'The HA formation, VM by VM: [timeline.svg](timeline.svg) (in process, real time, from the section "Joining after the first master").'
  : 'No timeline picture: the in-process formation did not run.';
const results = [
  '# oneke benchmarks',
  '',
  `Written by \`npm run bench\` (bench/run.ts) on ${host.date}, in ${(elapsed / 60).toFixed(1)} minutes${ctx.quick ? ', with BENCH_QUICK=1 (short runs: not figures to quote)' : ''}. ` +
    'Every figure is a median with its spread (min–max unless said otherwise) and the number of runs, on this machine:',
  '',
  `- **machine:** ${machineLine(host)}`,
  `- **load average** (1, 5, 15 min) before: ${loadBefore.map((l) => l.toFixed(2)).join(', ')}; after: ${loadAfter.map((l) => l.toFixed(2)).join(', ')} ` +
    '(the bench shares the machine with whatever else runs; several measurements here run side by side by design, see each section)',
  '',
  '## Summary',
  '',
  markdownTable(header.slice(0, 3).concat(['met?']), rows),
  '',
  `Pictures: [OneGate requests against service size](requests.svg), [timeline of an HA formation](timeline.svg)` +
    `${pictures['e2e-timeline.svg'] ? ', [the same, end to end](e2e-timeline.svg)' : ''}, [RSS of the vnf sync daemon](vnf-sync-rss.svg).`,
  '',
  ...sections.flatMap((s) => [`## ${s.title}`, '', s.markdown, '']),
  '## Timeline of an HA formation',
  '',
  timelineNote,
  '',
  ...(pictures['timeline.svg'] ? ['![timeline of an HA formation](timeline.svg)', ''] : []),
].join('\n');
fs.writeFileSync(path.join(BENCH_DIR, 'results.md'), results);
fs.rmSync(ctx.work, { recursive: true, force: true });

console.log(`\n${textTable(header, rows)}\n`);
say(
  `wrote bench/results.md and ${Object.keys(pictures)
    .map((p) => `bench/${p}`)
    .join(', ')}`,
);
