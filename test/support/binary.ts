import { execa } from 'execa';
import fs from 'node:fs';
import path from 'node:path';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const BINARY = path.join(REPO, 'dist/oneke');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** dist/oneke, built first when missing or older than the sources (npm run test:all builds it before the tests). */
export async function ensureBinary(): Promise<string> {
  const stale = !fs.existsSync(BINARY) || fs.statSync(BINARY).mtimeMs < newestSource(path.join(REPO, 'src'));
  if (stale) await execa(process.execPath, [path.join(REPO, 'scripts/build.mjs')], { cwd: REPO });
  return BINARY;
}

/** Writes a context.sh the way OpenNebula does: NAME='value' sorted by name, ' written as '\''. */
export function contextSh(vars: Record<string, string>): string {
  return Object.keys(vars)
    .sort()
    .map((name) => `${name}='${(vars[name] ?? '').replaceAll("'", "'\\''")}'\n`)
    .join('');
}
