// What every measurement shares: where things are, a scratch folder, and how thorough to be.
// BENCH_QUICK=1 makes every measurement short (fewer runs, shorter waits), to try the bench itself.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const BENCH_DIR = path.join(REPO, 'bench');
export const BINARY = path.join(REPO, 'dist/oneke');
export const MAIN_TS = path.join(REPO, 'src/main.ts');

export interface BenchContext {
  /** Node 24, running this bench: also what runs `node src/main.ts`. */
  node: string;
  /** A scratch folder, removed at the end. */
  work: string;
  quick: boolean;
  /** `full` normally, `quick` with BENCH_QUICK=1. */
  pick<T>(full: T, quick: T): T;
}

export function createContext(): BenchContext {
  const quick = process.env.BENCH_QUICK === '1';
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'oneke-bench-'));
  return { node: process.execPath, work, quick, pick: (full, short) => (quick ? short : full) };
}

/** A fresh folder under the scratch folder. */
export function scratch(ctx: BenchContext, name: string): string {
  return fs.mkdtempSync(path.join(ctx.work, `${name}-`));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let diskCopy: string | undefined;

/**
 * A copy of dist/oneke written around the page cache (dd oflag=direct), so that running it reads
 * the file from disk as a VM does at boot. The file as built is in the page cache from one large
 * write, in large folios that are mapped whole: the same bytes then show 15-25 MiB more resident
 * (measured on this kernel), which a VM would not see.
 */
export function binaryFromDisk(ctx: BenchContext): { path: string; how: string } {
  const file = path.join(ctx.work, 'oneke');
  if (diskCopy === file) return { path: file, how: 'dd oflag=direct' };
  const dd = spawnSync('dd', [`if=${BINARY}`, `of=${file}`, 'bs=4M', 'oflag=direct', 'status=none']);
  if (dd.status === 0) {
    fs.chmodSync(file, 0o755);
    diskCopy = file;
    return { path: file, how: 'dd oflag=direct' };
  }
  fs.copyFileSync(BINARY, file);
  fs.chmodSync(file, 0o755);
  diskCopy = file;
  return { path: file, how: 'cp (O_DIRECT not supported here)' };
}
