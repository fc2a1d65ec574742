// The boundaries of src/ are dependency-cruiser's rules (.dependency-cruiser.cjs, `npm run boundaries`,
// part of `npm run lint`). Here: the tree keeps every rule, and the rules still see what they are for,
// checked on a small made-up tree that breaks each one on purpose.

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '../..');
const CONFIG = path.join(REPO, '.dependency-cruiser.cjs');
const DEPCRUISE = path.join(REPO, 'node_modules/dependency-cruiser/bin/dependency-cruiser.mjs');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

/** depcruise on `src` of `cwd` with the project's rules: the violations it finds. */
function cruise(cwd: string): Promise<Violation[]> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [DEPCRUISE, 'src', '--config', CONFIG, '--output-type', 'json'], { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      try {
        resolve((JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations);
      } catch {
        reject(new Error(`depcruise failed: ${error?.message ?? ''} ${stderr}`));
      }
    });
  });
}

const RULES = (await import(CONFIG)).default.forbidden.map((rule: { name: string }) => rule.name) as string[];

describe('the tree keeps every boundary rule', () => {
  let violations: Violation[] = [];
  beforeAll(async () => {
    violations = await cruise(REPO);
  }, 300_000);

  test('the rules are the ones this file expects', () => {
    expect(RULES.sort()).toEqual(['gather-host-type-only', 'host-not-domain', 'no-folder-cycle', 'no-module-cycle', 'onegate-not-emulator', 'pure-imports-pure', 'pure-no-shell', 'src-not-tests']);
  });

  test.each(RULES)('%s', (rule) => {
    expect(violations.filter((v) => v.rule.name === rule).map((v) => `${v.from} → ${v.to}`)).toEqual([]);
  });
});

describe('the rules catch what they are for', () => {
  let dir = '';
  let found: Violation[] = [];
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  };
  // Every pure folder: a plan that reads a file itself.
  const PURE_FOLDERS = [
    'src/roles',
    'src/roles/vnf',
    'src/roles/kubernetes',
    'src/roles/master',
    'src/roles/worker',
    'src/roles/storage',
    'src/roles/storage/disk',
    'src/config',
    'src/plan',
    'src/addons',
    'src/net',
  ];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'boundaries-'));
    write('tsconfig.json', '{"compilerOptions": {"module": "nodenext", "allowImportingTsExtensions": true, "noEmit": true}}\n');
    write('src/host/host.ts', 'export interface Host { root: string }\nexport const realHost = { root: "/" };\n');
    write('src/host/probes.ts', "import { planOf } from '../roles/vnf/plan.ts';\nexport const probe = planOf;\n");
    write('src/executor/apply.ts', "import { realHost } from '../host/host.ts';\nexport const apply = realHost;\n");
    write('src/roles/vnf/plan.ts', "import { apply } from '../../executor/apply.ts';\nexport const planOf = apply;\n");
    write('src/roles/vnf/gather.ts', "import { realHost } from '../../host/host.ts';\nexport const gather = realHost;\n");
    write('src/roles/worker/gather.ts', "import type { Host } from '../../host/host.ts';\nexport const gather = (host: Host) => host.root;\n");
    write('src/onegate/client.ts', "import { state } from '../emulator/state.ts';\nexport const client = state;\n");
    write('src/emulator/state.ts', 'export const state = 1;\n');
    write('src/cli/main.ts', "import { bench } from '../../bench/x.ts';\nexport const main = bench;\n");
    write('bench/x.ts', 'export const bench = 1;\n');
    for (const folder of PURE_FOLDERS) write(`${folder}/reads-a-file.ts`, "import fs from 'node:fs';\nexport const text = () => fs.readFileSync('/etc/hostname', 'utf8');\n");
    found = await cruise(dir);
  }, 300_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const hits = (rule: string) => found.filter((v) => v.rule.name === rule).map((v) => `${v.from} → ${v.to}`);

  test.each(PURE_FOLDERS)('%s: a pure module that reads a file breaks pure-no-shell', (folder) => {
    expect(hits('pure-no-shell')).toContain(`${folder}/reads-a-file.ts → fs`);
  });

  test('a plan that applies itself breaks pure-no-shell; the host that knows a role breaks host-not-domain; together a folder cycle', () => {
    expect(hits('pure-no-shell')).toContain('src/roles/vnf/plan.ts → src/executor/apply.ts');
    expect(hits('host-not-domain')).toContain('src/host/probes.ts → src/roles/vnf/plan.ts');
    expect(hits('no-folder-cycle').length).toBeGreaterThan(0);
  });

  test('a gather may take the Host type, not the host itself', () => {
    expect(hits('gather-host-type-only')).toEqual(['src/roles/vnf/gather.ts → src/host/host.ts']);
  });

  test('the OneGate client does not know its emulator; the agent does not import benchmarks', () => {
    expect(hits('onegate-not-emulator')).toEqual(['src/onegate/client.ts → src/emulator/state.ts']);
    expect(hits('src-not-tests')).toEqual(['src/cli/main.ts → bench/x.ts']);
  });
});
