// The same measurement through vitest, for when test/e2e/harness.ts can only load inside vitest
// (test/support/netns.ts imports vitest). A measurement, not a test: nothing is asserted.

import fs from 'node:fs';
import { test } from 'vitest';
import * as harness from '../../test/e2e/harness.ts';
import { measureE2eWith } from './measure.ts';

test('end-to-end figures for the bench', { timeout: 60 * 60_000 }, async () => {
  const out = process.env.BENCH_E2E_OUT;
  if (!out) throw new Error('BENCH_E2E_OUT is not set');
  fs.writeFileSync(out, JSON.stringify(await measureE2eWith(harness, Number(process.env.BENCH_E2E_ROUNDS ?? 3))));
});
