// `npm run demo` runs scripts/demo.ts with plain node, outside vitest: the whole-service harness it
// loads must not import vitest (which throws at import time outside a test run), directly or
// through a support module.

import { execa } from 'execa';
import path from 'node:path';
import { expect, test } from 'vitest';
import { REPO } from '../../support/binary.ts';

test('the harness that the demo and the bench use loads in plain node', async () => {
  const node = path.join(REPO, 'node_modules/.bin/node'); // the pinned Node 24, which runs TypeScript
  const harness = path.join(REPO, 'test/e2e/harness.ts');
  const result = await execa(node, ['--input-type=module', '-e', `await import(${JSON.stringify(harness)}); console.log('loaded');`], { cwd: REPO, reject: false });
  expect(result.stderr).not.toMatch(/Vitest failed to access its internal state/);
  expect(result.exitCode, result.stderr).toBe(0);
  expect(result.stdout.trim()).toBe('loaded');
});
