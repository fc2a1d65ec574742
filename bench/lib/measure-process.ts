// Wall time and peak RSS of a short-lived command, over repeated runs. Peak RSS comes from GNU time
// (`/usr/bin/time -f %M`, the kernel's ru_maxrss of the command); wall time is taken here around the
// run (it includes GNU time's own fork and exec, well under a millisecond).
//
// Also a small program: `node bench/lib/measure-process.ts '<json spec>'` prints the result as JSON,
// so a measurement can run inside a network namespace (`ip netns exec NS node …`).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const GNU_TIME = '/usr/bin/time';

export interface CommandSpec {
  argv: string[];
  cwd?: string;
  env?: Record<string, string>;
  runs: number;
  /** Runs before the measured ones (page cache, first-run effects); not recorded. */
  warmup?: number;
}

export interface CommandResult {
  wallSeconds: number[];
  peakRssMiB: number[];
  /** The first measured run's stdout, shortened: what the command printed. */
  stdout: string;
}

/** One run under GNU time: wall seconds, peak RSS in MiB, what it printed. */
function runOnce(spec: CommandSpec, rssFile: string): { seconds: number; rssMiB: number; stdout: string } {
  const started = process.hrtime.bigint();
  const run = spawnSync(GNU_TIME, ['-f', '%M', '-o', rssFile, ...spec.argv], {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0) {
    throw new Error(`${spec.argv.join(' ')} exited ${run.status ?? run.signal}: ${(run.stderr || run.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  }
  const kib = Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').at(-1));
  return { seconds, rssMiB: kib / 1024, stdout: run.stdout };
}

/**
 * Several commands measured in rounds (A B C, A B C, …) rather than one after the other, so that a
 * change in the machine's load or caches during the measurement touches them all alike.
 */
export function measureInterleaved(specs: readonly CommandSpec[]): CommandResult[] {
  if (!fs.existsSync(GNU_TIME)) throw new Error(`${GNU_TIME} is missing (Debian package \`time\`; scripts/test-deps.sh installs it)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oneke-bench-time-'));
  const rssFile = path.join(dir, 'rss');
  const results: CommandResult[] = specs.map(() => ({ wallSeconds: [], peakRssMiB: [], stdout: '' }));
  try {
    const rounds = Math.max(...specs.map((s) => (s.warmup ?? 1) + s.runs));
    for (let round = 0; round < rounds; round++) {
      specs.forEach((spec, i) => {
        const warm = spec.warmup ?? 1;
        if (round >= warm + spec.runs) return;
        const one = runOnce(spec, rssFile);
        if (round < warm) return;
        const result = results[i] as CommandResult;
        result.wallSeconds.push(one.seconds);
        result.peakRssMiB.push(one.rssMiB);
        if (result.stdout === '') result.stdout = one.stdout.slice(0, 4000);
      });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

export function measureCommand(spec: CommandSpec): CommandResult {
  return measureInterleaved([spec])[0] as CommandResult;
}

if (import.meta.main) {
  const spec = JSON.parse(process.argv[2] ?? '{}') as CommandSpec;
  process.stdout.write(JSON.stringify(measureCommand(spec)));
}
