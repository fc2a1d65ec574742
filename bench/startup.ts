// Start-up: `oneke --version` and `oneke plan` on a service of 250 VMs, wall time and peak RSS over
// repeated runs, for the single executable (dist/oneke) beside Node running the sources.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { defaultToken } from '../src/emulator/index.ts';
import { contextSh } from '../test/support/binary.ts';
import { BINARY, binaryFromDisk, MAIN_TS, REPO, scratch, type BenchContext } from './lib/context.ts';
import { measureInterleaved, type CommandResult } from './lib/measure-process.ts';
import { markdownTable, type Figure, type Section } from './lib/report.ts';
import { nodeContext, serviceState, SHAPES, shapeText } from './lib/service-state.ts';
import { fmt, summarize } from './lib/stats.ts';

const PLAN_TARGET_S = 0.25;
const PLAN_TARGET_MIB = 90;
/** `oneke plan` on a small service: at most this many times `node -e 0`, measured side by side. */
const SMALL_PLAN_TARGET_RATIO = 2;
const SMALL_SHAPE = { vnf: 1, master: 1, worker: 2, storage: 1 };

interface Row {
  what: string;
  runner: string;
  result: CommandResult;
  note?: string;
}

/** The emulator as its own process (`oneke dev onegate`), so that it answers while we wait on a run. */
async function emulatorProcess(stateFile: string): Promise<{ url: string; stop: () => void }> {
  const child = spawn(BINARY, ['dev', 'onegate', '--state', stateFile, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`oneke dev onegate did not start: ${text}`)), 15_000);
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const m = /listening on (\S+)/.exec(text);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`oneke dev onegate exited ${code}: ${text}`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

/** The decision a `plan --json` run printed. */
function decisionOf(stdout: string): string {
  try {
    return (JSON.parse(stdout) as { decision: { kind: string } }).decision.kind;
  } catch {
    return `(no plan: ${stdout.slice(0, 80)})`;
  }
}

function planPhases(ctx: BenchContext, stateFile: string, vmId: number, runs: number): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (let i = 0; i < runs; i++) {
    const line = execFileSync(ctx.node, [path.join(REPO, 'bench/lib/plan-phases.ts'), stateFile, String(vmId)], { cwd: REPO, encoding: 'utf8' });
    for (const [k, v] of Object.entries(JSON.parse(line) as Record<string, number>)) (out[k] ??= []).push(v);
  }
  return out;
}

/**
 * How much of the start-up is Node itself and how much loading the bundle: the same bundle as
 * scripts/build.mjs makes (same options), to be run by plain node, with what it is made of.
 */
async function bundleFile(ctx: BenchContext): Promise<{ file: string; bytes: number; parts: [string, number][] }> {
  const dir = scratch(ctx, 'bundle');
  const file = path.join(dir, 'oneke.cjs');
  const result = await build({
    entryPoints: [MAIN_TS],
    outfile: file,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    minify: true,
    keepNames: true,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    define: { 'import.meta.url': 'importMetaUrl' },
    banner: { js: 'const importMetaUrl = require("url").pathToFileURL(__filename).href;' },
  });
  // Bytes in the output per npm package (or `src`).
  const parts = new Map<string, number>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const key = m?.[1] ?? (/(^|\/)src\//.test(input) ? 'src (oneke itself)' : input);
      parts.set(key, (parts.get(key) ?? 0) + bytesInOutput);
    }
  }
  return { file, bytes: fs.statSync(file).size, parts: [...parts].sort((a, b) => b[1] - a[1]) };
}

export async function measureStartup(ctx: BenchContext): Promise<Section> {
  const runs = ctx.pick(10, 3);
  const dir = scratch(ctx, 'startup');
  const root = path.join(dir, 'root');
  fs.mkdirSync(root);
  const shape = SHAPES[SHAPES.length - 1] ?? { vnf: 2, master: 3, worker: 200, storage: 45 };

  // A worker added to a formed service of 250 VMs: every other VM has published what a formed cluster publishes.
  const formed = serviceState(shape, { formed: true, fresh: [] });
  const worker = formed.vms.find((vm) => vm.role === 'worker');
  if (!worker) throw new Error('no worker in the shape');
  const joining = serviceState(shape, { formed: true, fresh: [worker.id] });
  const forming = serviceState(shape, { formed: false });
  const files = { joining: path.join(dir, 'service-250-joining.json'), forming: path.join(dir, 'service-250-forming.json') };
  fs.writeFileSync(files.joining, JSON.stringify(joining.state));
  fs.writeFileSync(files.forming, JSON.stringify(forming.state));
  const token = defaultToken(10, worker.id);
  const ctxFile = path.join(dir, 'context.sh');
  fs.writeFileSync(ctxFile, contextSh(nodeContext(worker, 'http://127.0.0.1:5030', token)));

  // The small case: the last worker of a formed 1/1/2/1 service, freshly added (a join-agent plan).
  const smallWorker = serviceState(SMALL_SHAPE, { formed: true, fresh: [] })
    .vms.filter((vm) => vm.role === 'worker')
    .at(-1);
  if (!smallWorker) throw new Error('no worker in the small shape');
  const smallFile = path.join(dir, 'service-5-joining.json');
  fs.writeFileSync(smallFile, JSON.stringify(serviceState(SMALL_SHAPE, { formed: true, fresh: [smallWorker.id] }).state));
  const smallCtx = path.join(dir, 'context-small.sh');
  fs.writeFileSync(smallCtx, contextSh(nodeContext(smallWorker, 'http://127.0.0.1:5030', defaultToken(10, smallWorker.id))));
  const smallWhat = `\`plan\`, worker ${smallWorker.id} added to a formed service of ${shapeText(SMALL_SHAPE)} (snapshot)`;

  const fromDisk = binaryFromDisk(ctx);
  const runners: [string, string[]][] = [
    ['dist/oneke', [fromDisk.path]],
    ['dist/oneke as built (page cache)', [BINARY]],
    ['node src/main.ts', [ctx.node, MAIN_TS]],
  ];
  const bundle = await bundleFile(ctx);
  // In the VM, plan asks OneGate over HTTP instead of reading a snapshot: the emulator in a process of its own.
  const live = await emulatorProcess(files.forming);
  const liveCtx = path.join(dir, 'context-live.sh');
  fs.writeFileSync(liveCtx, contextSh(nodeContext(worker, live.url, token)));

  const planArgs = (state: string) => ['plan', '--json', '--context', ctxFile, '--root', root, '--onegate-snapshot', state];
  const commands: { what: string; runner: string; argv: string[]; plan?: boolean }[] = [
    { what: '`node -e 0` (Node 24 itself, for scale)', runner: 'node', argv: [ctx.node, '-e', '0'] },
    ...runners.map(([runner, argv]) => ({ what: '`--version`', runner, argv: [...argv, '--version'] })),
    { what: '`--version`', runner: 'node oneke.cjs (the same bundle, no SEA)', argv: [ctx.node, bundle.file, '--version'] },
    ...runners.map(([runner, argv]) => ({
      what: smallWhat,
      runner,
      argv: [...argv, 'plan', '--json', '--context', smallCtx, '--root', root, '--onegate-snapshot', smallFile],
      plan: true,
    })),
    ...runners.map(([runner, argv]) => ({ what: `\`plan\`, worker ${worker.id} added to a formed service of 250 VMs (snapshot)`, runner, argv: [...argv, ...planArgs(files.joining)], plan: true })),
    ...runners.map(([runner, argv]) => ({ what: `\`plan\`, worker ${worker.id} of a forming service of 250 VMs (snapshot)`, runner, argv: [...argv, ...planArgs(files.forming)], plan: true })),
    ...runners.map(([runner, argv]) => ({
      what: `\`plan\`, worker ${worker.id} of a forming service of 250 VMs (OneGate emulator over HTTP)`,
      runner,
      argv: [...argv, 'plan', '--json', '--context', liveCtx, '--root', root],
      plan: true,
    })),
  ];
  let results;
  try {
    results = measureInterleaved(commands.map((c) => ({ argv: c.argv, cwd: REPO, runs, warmup: 1 })));
  } finally {
    live.stop();
  }
  const rows: Row[] = commands.map((c, i) => {
    const result = results[i] as CommandResult;
    return { what: c.what, runner: c.runner, result, ...(c.plan ? { note: `decision: ${decisionOf(result.stdout)}` } : {}) };
  });

  const phases = planPhases(ctx, files.joining, worker.id, ctx.pick(5, 2));
  const yamlMs = summarize(phases.yaml ?? []).median;
  const jsonMs = summarize(phases.json ?? []).median;
  const loadMs = summarize(phases.load ?? []).median;
  const stateKiB = fs.statSync(files.joining).size / 1024;

  // Headline figures: dist/oneke.
  const pick = (what: RegExp, runner: string) => rows.find((r) => what.test(r.what) && r.runner === runner);
  const figures: Figure[] = [];
  const version = pick(/--version/, 'dist/oneke');
  if (version) {
    figures.push({ name: 'dist/oneke --version: wall', value: fmt(summarize(version.result.wallSeconds), 's', 3) });
    figures.push({ name: 'dist/oneke --version: peak RSS', value: fmt(summarize(version.result.peakRssMiB), 'MiB', 1) });
  }
  // The small service against Node itself, both measured in the same rounds.
  const small = rows.find((r) => r.what === smallWhat && r.runner === 'dist/oneke');
  const floor = rows.find((r) => r.runner === 'node');
  if (small && floor) {
    const ratio = summarize(small.result.wallSeconds).median / summarize(floor.result.wallSeconds).median;
    figures.push({ name: `dist/oneke plan, ${shapeText(SMALL_SHAPE)} service (snapshot, join-agent): wall`, value: fmt(summarize(small.result.wallSeconds), 's', 3) });
    figures.push({
      name: `dist/oneke plan, ${shapeText(SMALL_SHAPE)} service: wall against \`node -e 0\` (${summarize(floor.result.wallSeconds).median.toFixed(3)} s)`,
      value: `${ratio.toFixed(2)}×`,
      target: `≤ ${SMALL_PLAN_TARGET_RATIO}×`,
      met: ratio <= SMALL_PLAN_TARGET_RATIO,
    });
    figures.push({ name: `dist/oneke plan, ${shapeText(SMALL_SHAPE)} service: peak RSS`, value: fmt(summarize(small.result.peakRssMiB), 'MiB', 1) });
  }
  // The two plan cases with targets: from a snapshot (what the issue asks), and over HTTP (what a VM does).
  const planCases = [
    { row: pick(/added to a formed service of 250/, 'dist/oneke'), label: 'plan, 250 VMs (snapshot, join-agent)', snapshot: true },
    { row: pick(/over HTTP/, 'dist/oneke'), label: 'plan, 250 VMs (OneGate over HTTP, wait)', snapshot: false },
  ];
  for (const c of planCases) {
    if (!c.row) continue;
    const wall = summarize(c.row.result.wallSeconds);
    const rss = summarize(c.row.result.peakRssMiB);
    figures.push({ name: `dist/oneke ${c.label}: wall`, value: fmt(wall, 's', 3), target: `≤ ${PLAN_TARGET_S} s`, met: wall.median <= PLAN_TARGET_S });
    figures.push({ name: `dist/oneke ${c.label}: peak RSS`, value: fmt(rss, 'MiB', 1), target: `≤ ${PLAN_TARGET_MIB} MiB`, met: rss.median <= PLAN_TARGET_MIB });
  }

  const table = markdownTable(
    ['command', 'run by', 'wall time, median (min–max)', 'peak RSS, median (min–max)', 'note'],
    rows.map((r) => [r.what, r.runner, fmt(summarize(r.result.wallSeconds), 's', 3), fmt(summarize(r.result.peakRssMiB), 'MiB', 1), r.note ?? '']),
  );
  const phaseTable = markdownTable(
    ['phase (fresh Node process, sources)', 'median (min–max)'],
    [
      [`JSON.parse of the ${stateKiB.toFixed(0)} KiB state file`, fmt(summarize(phases.json ?? []), 'ms', 1)],
      ['the `yaml` package parsing the same text (what loadEmulatorState did for JSON files too, before)', fmt(summarize(phases.yaml ?? []), 'ms', 1)],
      ['loadEmulatorState (JSON.parse for a JSON file, + validation)', fmt(summarize(phases.load ?? []), 'ms', 1)],
      ['createEmulatorStore (validation, deep copy)', fmt(summarize(phases.store ?? []), 'ms', 1)],
      ['one extended service answer built and parsed', fmt(summarize(phases.service ?? []), 'ms', 1)],
    ],
  );

  const versionWall = version ? summarize(version.result.wallSeconds).median : Number.NaN;
  const nodeFloor = rows.find((r) => r.runner === 'node');
  const bundleRow = rows.find((r) => r.runner.startsWith('node oneke.cjs'));
  const versionRss = version ? summarize(version.result.peakRssMiB).median : Number.NaN;
  const floorRss = nodeFloor ? summarize(nodeFloor.result.peakRssMiB).median : Number.NaN;
  const floorWall = nodeFloor ? summarize(nodeFloor.result.wallSeconds).median : Number.NaN;
  const [bigName, bigBytes] = bundle.parts[0] ?? ['?', 0];
  const biggest = `${bigName}, ${((bigBytes / bundle.bytes) * 100).toFixed(0)} % of the bundle's bytes`;
  const misses: string[] = [];
  const over = (value: number, target: number, unit: string, digits: number) =>
    `${value.toFixed(digits)} ${unit} against ≤ ${target} ${unit}: ${(value - target).toFixed(digits)} ${unit} (${(((value - target) / target) * 100).toFixed(0)} %) over`;
  for (const c of planCases) {
    if (!c.row) continue;
    const wall = summarize(c.row.result.wallSeconds).median;
    const rss = summarize(c.row.result.peakRssMiB).median;
    if (wall > PLAN_TARGET_S) {
      misses.push(
        `- **${c.label}, wall time: ${over(wall, PLAN_TARGET_S, 's', 3)}.** Start-up alone (\`--version\`) takes ${versionWall.toFixed(3)} s of it ` +
          `(Node 24 itself ${floorWall.toFixed(3)} s); the plan command then loads and compiles its own modules and libraries (see below). ` +
          (c.snapshot
            ? `With \`--onegate-snapshot\` the ${stateKiB.toFixed(0)} KiB state file is read and validated (\`loadEmulatorState\`, ${loadMs.toFixed(0)} ms here; ` +
              `JSON.parse alone ${jsonMs.toFixed(1)} ms, the \`yaml\` package ${yamlMs.toFixed(0)} ms for the same text) and a store and an answer are built from it.`
            : 'The rest is one 250-VM extended answer over HTTP, parsed, and the plan.'),
      );
    }
    if (rss > PLAN_TARGET_MIB) {
      misses.push(
        `- **${c.label}, peak RSS: ${over(rss, PLAN_TARGET_MIB, 'MiB', 1)}.** \`--version\` alone peaks at ${versionRss.toFixed(1)} MiB ` +
          `(Node 24 itself ${floorRss.toFixed(1)} MiB), so ${((versionRss / PLAN_TARGET_MIB) * 100).toFixed(0)} % of the budget is gone before any work. ` +
          `Each command loads only its own modules, but a plan needs most libraries: ${biggest} (required on its own it adds about 30 MiB to Node, ` +
          'with the TLS and HTTP/2 modules of Node it loads), execa, pino and yaml. The rest is the service: ' +
          (c.snapshot
            ? "the state file's text, its parsed objects, the store's validated copy and the answer built from it (each a copy of 250 VMs)."
            : 'the answer (about 200 KiB of JSON) and its parsed objects.'),
      );
    }
  }
  const markdown = [
    `Each command runs ${runs} times after one warm-up run, all of them in rounds (one run of each, then again) so that the machine's state touches them alike; wall time is measured around the run, peak RSS is GNU time's \`%M\` (the process's maximum resident set). ` +
      `The service: ${shapeText(shape)} VMs (vnf/master/worker/storage), every VM with what a formed cluster publishes (READY, node names, the masters' IP, token and ` +
      `a ${'~'}3.6 KiB kubeconfig, the HAProxy backend keys); the state file is ${stateKiB.toFixed(0)} KiB of JSON. The planned VM is worker ${worker.id} ` +
      `(${worker.ip}), freshly added (it has published nothing), so its plan is a \`join-agent\` with every action of a joining worker. ` +
      `With \`--onegate-snapshot\`, \`oneke plan\` answers as that VM would (the NICs OneGate lists, the published masters reachable; see src/cli/commands/plan.ts), ` +
      `so no network namespace is needed. A second snapshot has nothing published but the VNFs' READY (a \`wait\` plan), and the same plan is also made ` +
      `against the emulator over HTTP (\`oneke dev onegate\` in its own process), which is what a plan costs on a VM.`,
    '',
    table,
    '',
    `"dist/oneke" is a copy of the binary written with ${fromDisk.how}, so that its pages come from disk as on a VM; "dist/oneke as built" is the file ` +
      'that scripts/build.mjs wrote, whose pages sit in the page cache from one large write: the same bytes then show more resident memory (large folios ' +
      "mapped whole on a fault, on this kernel). The headline figures are the copy's.",
    '',
    `The bundle that dist/oneke carries is ${(bundle.bytes / 1024 / 1024).toFixed(2)} MiB of JavaScript (esbuild, minified with names kept, as scripts/build.mjs makes it); ` +
      `run by plain node it starts in ${bundleRow ? summarize(bundleRow.result.wallSeconds).median.toFixed(3) : '?'} s. ` +
      `The SEA note (reference/node-sea-notes.md) measured a one-line SEA at ~0.08 s and 62 MiB. Each command's modules are evaluated only when it runs ` +
      `(src/cli/program.ts imports them in the action), so \`--version\` compiles little beyond commander. The single executable carries V8's code cache of the bundle (\`useCodeCache\`, made at build time: it covers the code compiled eagerly, not each command's functions, which V8 compiles on first call); plain node running oneke.cjs has none. ` +
      `What the bundle is made of (KiB): ${bundle.parts
        .slice(0, 8)
        .map(([k, v]) => `${k} ${(v / 1024).toFixed(0)}`)
        .join(', ')}.`,
    '',
    'Where plan time goes (the sources in a fresh Node process, the 250-VM snapshot):',
    '',
    phaseTable,
    '',
    ...(misses.length > 0 ? ['Targets missed:', '', ...misses] : ['The plan targets are met.']),
  ].join('\n');
  return { title: 'Start-up and `oneke plan` on 250 VMs', figures, markdown };
}
