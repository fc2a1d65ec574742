// Input parsing: time of the context parsers and parseConfig on hostile inputs of growing size. Each
// case is measured at 1x, 4x and 16x; linear work grows about 4x per step, quadratic work 16x. The
// tests (test/reliability/linear-parsing.test.ts) check outcomes only; the times live here.
// Alone: `node bench/input-parsing.ts`.

import { parseConfig } from '../src/config/index.ts';
import { parseContextSh, parseOneEnv } from '../src/context/index.ts';
import { markdownTable, type Figure, type Section } from './lib/report.ts';

const MIB = 1024 * 1024;
const FACTORS = [1, 4, 16] as const;
/** Time ratio of the 16x input over the 1x input beyond which growth is called superlinear (linear ≈ 16, quadratic ≈ 256; small inputs are noisy). */
const LINEAR_RATIO_LIMIT = 64;

interface Case {
  name: string;
  /** Runs the work once for size factor `k`. */
  run(k: number): void;
}

const attempt = (fn: () => unknown): void => {
  try {
    fn();
  } catch {
    // a rejection is the expected outcome of the hostile cases
  }
};

function lbContext(count: number): Map<string, string> {
  const vars = new Map<string, string>();
  for (let index = 0; index < count; index += 1) vars.set(`ONEAPP_VNF_HAPROXY_LB${index}_PORT`, String(1024 + (index % 60_000)));
  return vars;
}

function backendContext(perLb: number): Map<string, string> {
  const vars = new Map<string, string>();
  for (let lb = 0; lb < 100; lb += 1) {
    vars.set(`ONEAPP_VNF_HAPROXY_LB${lb}_PORT`, String(2000 + lb));
    for (let server = 0; server < perLb; server += 1) {
      vars.set(`ONEAPP_VNF_HAPROXY_LB${lb}_SERVER${server}_HOST`, '10.0.0.1');
      vars.set(`ONEAPP_VNF_HAPROXY_LB${lb}_SERVER${server}_PORT`, '80');
    }
  }
  return vars;
}

const CASES: Case[] = [
  { name: 'context.sh, unclosed double quote, k × 256 KiB', run: (k) => attempt(() => parseContextSh(`A="${'x\n'.repeat((k * MIB) / 8)}`)) },
  { name: 'context.sh, unclosed single quote, k × 256 KiB', run: (k) => attempt(() => parseContextSh(`A='${'x\n'.repeat((k * MIB) / 8)}`)) },
  { name: 'context.sh, one line per variable, k × 256 KiB', run: (k) => parseContextSh('A=1\n'.repeat((k * MIB) / 16)) },
  { name: 'one_env, one folded value, k × 256 KiB', run: (k) => parseOneEnv(`export A="${'x\n'.repeat((k * MIB) / 8)}`) },
  { name: 'parseConfig, k × 3 000 LB indices', run: (k) => parseConfig(lbContext(k * 3_000)) },
  { name: 'parseConfig, 100 LBs × k × 20 backends', run: (k) => parseConfig(backendContext(k * 20)) },
];

function millis(fn: () => void): number {
  const started = performance.now();
  fn();
  return performance.now() - started;
}

/** The best of three runs: the least disturbed by other load on the machine. */
function best(fn: () => void): number {
  return Math.min(millis(fn), millis(fn), millis(fn));
}

export function measureInputParsing(): Section {
  const rows: string[][] = [];
  const figures: Figure[] = [];
  for (const entry of CASES) {
    const times = FACTORS.map((k) => best(() => entry.run(k)));
    const ratio = (times.at(-1) as number) / Math.max(times[0] as number, 0.01);
    rows.push([entry.name, ...times.map((ms) => ms.toFixed(1)), ratio.toFixed(1)]);
    figures.push({ name: `${entry.name}: 16x over 1x`, value: `${ratio.toFixed(1)}x`, target: `≤ ${LINEAR_RATIO_LIMIT}x (linear ≈ 16x)`, met: ratio <= LINEAR_RATIO_LIMIT });
  }
  const markdown = [
    'Each hostile input at 1x, 4x and 16x its base size, best of three runs, in milliseconds. Linear',
    'work grows about 16x from the first column to the last; quadratic work would grow 256x.',
    '',
    markdownTable(['input', '1x ms', '4x ms', '16x ms', '16x / 1x'], rows),
  ].join('\n');
  return { title: 'Input parsing', figures, markdown };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(measureInputParsing().markdown);
}
