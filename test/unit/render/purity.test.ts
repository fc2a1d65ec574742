// src/render and the role folders (src/roles/vnf, kubernetes, master, worker, storage) are the
// functional core: plain data in, plans and text out. They must not reach the file system, processes or
// the network themselves, so that `oneke plan` and the tests can call them freely; the gathers and the
// HAProxy sync loop among them act only through the Host they are given (imported as a type).

import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const FORBIDDEN = /^(?:node:(?:fs|fs\/promises|child_process|net|http|https|dgram|dns)|fs|child_process|execa|undici)$/;

async function importsOf(folder: string): Promise<[string, string][]> {
  const files = (await fs.readdir(path.join(ROOT, folder))).filter((name) => name.endsWith('.ts'));
  const found: [string, string][] = [];
  for (const name of files) {
    const text = await fs.readFile(path.join(ROOT, folder, name), 'utf8');
    // Type-only imports vanish at run time: only value imports can reach the system.
    for (const m of text.matchAll(/^\s*(?:import|export)\s(?!type\s)[^'"]*?from\s+['"]([^'"]+)['"]/gm)) found.push([`${folder}/${name}`, m[1] as string]);
    for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push([`${folder}/${name}`, m[1] as string]);
  }
  return found;
}

describe.each(['src/render', 'src/roles', 'src/roles/vnf', 'src/roles/kubernetes', 'src/roles/master', 'src/roles/worker', 'src/roles/storage', 'src/roles/storage/disk'])('%s is pure', (folder) => {
  test('imports only pure modules', async () => {
    const imports = await importsOf(folder);
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter(([, spec]) => FORBIDDEN.test(spec))).toEqual([]);
    // Inside the project: only errors, other pure modules (configuration, addresses, plans, roles, add-ons
    // and the prepared manifests' names, OneGate keys and answers).
    const local = imports.filter(([, spec]) => spec.startsWith('.')).map(([file, spec]) => path.normalize(path.join(path.dirname(file), spec)));
    expect(local.filter((target) => !/^src\/(?:errors\.ts|render\/|net\/|roles\/(?:role\.ts|vnf\/|kubernetes\/|master\/|worker\/|storage\/)|config\/|plan\/|addons\/|onegate\/(?:keys|parse)\.ts)/.test(target))).toEqual([]);
  });
});
