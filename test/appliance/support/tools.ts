// Finding the appliance's files and the machine tools that check them. Test support code.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { REPO } from './service-rules.ts';

export { REPO };

/** The absolute path of a tool on PATH, or undefined: tests that need it are skipped with a reason. */
export function which(tool: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, tool);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Why a tool test is skipped, for the test name (vitest prints it with the skip). */
export function missing(tool: string, debianPackage: string): string {
  return `${tool} is not installed (Debian package ${debianPackage}; scripts/test-deps.sh installs it)`;
}

/** Every file under a repository folder, relative to the repository, sorted. */
export function filesUnder(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(path.join(REPO, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!['output', '.cache', 'node_modules'].includes(entry.name)) walk(rel);
      } else out.push(rel);
    }
  };
  walk(folder);
  return out.sort();
}

/** A shell script: a `.sh` file, or any file whose first line is a sh/bash shebang. */
export function isShellScript(rel: string): boolean {
  if (rel.endsWith('.sh')) return true;
  const head = fs.readFileSync(path.join(REPO, rel), 'utf8').split('\n', 1)[0] ?? '';
  return /^#!\s*\/(usr\/)?bin\/(env\s+)?(ba)?sh\b/.test(head);
}

export function read(rel: string): string {
  return fs.readFileSync(path.join(REPO, rel), 'utf8');
}

/** A temporary folder removed when the test ends. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `oneke-${prefix}-`));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
