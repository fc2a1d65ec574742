// src/addons is the add-on registry that `oneke install` and the node plan both read: data and
// functions of the configuration. It must not reach the file system, processes, the network, the
// clock or the environment, so that `oneke plan` and the tests can call it freely.

import fs from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const FOLDER = 'src/addons';
const FORBIDDEN = /^(?:node:(?:fs|fs\/promises|child_process|net|http|https|dgram|dns|timers|timers\/promises)|fs|child_process|execa|undici)$/;

test('src/addons imports only pure modules and reads no environment or clock', async () => {
  const files = (await fs.readdir(path.join(ROOT, FOLDER))).filter((name) => name.endsWith('.ts'));
  expect(files.length).toBeGreaterThan(0);
  const imports: [string, string][] = [];
  for (const name of files) {
    const text = await fs.readFile(path.join(ROOT, FOLDER, name), 'utf8');
    // Type-only imports vanish at run time: only value imports can reach the system.
    for (const m of text.matchAll(/^\s*(?:import|export)\s(?!type\s)[^'"]*?from\s+['"]([^'"]+)['"]/gm)) imports.push([`${FOLDER}/${name}`, m[1] as string]);
    for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) imports.push([`${FOLDER}/${name}`, m[1] as string]);
    expect(text.match(/\bprocess\.env\b|\bDate\.now\b|\bnew Date\(|\bset(?:Timeout|Interval|Immediate)\(/g), name).toBeNull();
  }
  expect(imports.filter(([, spec]) => FORBIDDEN.test(spec))).toEqual([]);
  // Inside the project: only errors, the configuration, the registry itself and the VM paths (constants).
  const local = imports.filter(([, spec]) => spec.startsWith('.')).map(([file, spec]) => path.normalize(path.join(path.dirname(file), spec)));
  expect(local.filter((target) => !/^src\/(?:errors\.ts|addons\/|config\/|(?:roles\/)?kubernetes\/paths\.ts)/.test(target))).toEqual([]);
});
