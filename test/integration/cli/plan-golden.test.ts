import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { planCases, planFile, runCase } from '../../../scripts/plan-golden.ts';

// The plans kept in test/fixtures/plans/ are what `oneke plan --json` printed for these services and
// contexts: a refactor keeps every one byte for byte (node scripts/plan-golden.ts --write rewrites
// them when a change of behaviour is meant, and the diff shows it).
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-golden-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('oneke plan --json is what test/fixtures/plans/ holds', () => {
  const cases = planCases();

  test('every kept plan is still made, and no case lacks one', () => {
    const kept = fs.readdirSync(path.dirname(planFile(cases[0]!))).sort();
    expect(kept).toEqual(cases.map((c) => path.basename(planFile(c))).sort());
  });

  test.each(cases.map((c) => [c.name, c] as const))(
    '%s',
    async (_name, c) => {
      expect(await runCase(c, work)).toBe(fs.readFileSync(planFile(c), 'utf8'));
    },
    120_000,
  );
});
