// Reliability, issue 11 item 9: the context parsers and parseConfig work in time linear in their
// input. An unclosed double quote used to cost quadratic time (1 MB: 70 s) and 20k-50k load-balancer
// indices grew superlinearly. Nothing here measures time (that is bench/input-parsing.ts): the cases
// are big enough that a quadratic parser cannot finish before the test's generous timeout, and the
// properties check that the linear double-quote reader reads exactly what the format says.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { ContextSyntaxError, parseContextSh, parseOneEnv } from '../../src/context/index.ts';

const MIB = 1024 * 1024;
/** Far beyond any real time of these cases; a quadratic parser would need hours. */
const TIMEOUT_MS = 120_000;

/**
 * The double-quote rule of formats.md §5.1, written the obvious way: the value runs to the last `"` of
 * the first line (from the opening quote on) that has one; the rest of that line is dropped.
 */
function referenceDoubleQuoted(afterQuote: string): string | undefined {
  const lines = afterQuote.split('\n');
  for (const [index, line] of lines.entries()) {
    const quote = line.lastIndexOf('"');
    if (quote !== -1) return [...lines.slice(0, index), line.slice(0, quote)].join('\n');
  }
  return undefined;
}

describe('context parsers on big hostile inputs', () => {
  test(
    'an unclosed double quote over 8 MiB of short lines is rejected, naming its line',
    () => {
      const text = `A=1\nB="${'x\n'.repeat(4 * MIB)}`;
      expect(() => parseContextSh(text)).toThrow(ContextSyntaxError);
      expect(() => parseContextSh(text)).toThrow(/line 2: the double-quoted value of B is never closed/);
    },
    TIMEOUT_MS,
  );

  test(
    'a double quote closed 8 MiB later is one value',
    () => {
      const body = 'y\n'.repeat(4 * MIB);
      expect(parseContextSh(`B="${body}"\nC=2\n`)).toEqual(
        new Map([
          ['B', body],
          ['C', '2'],
        ]),
      );
    },
    TIMEOUT_MS,
  );

  test(
    'an unclosed single quote and 8 MiB of one_env folding',
    () => {
      expect(() => parseContextSh(`A='${'x\n'.repeat(4 * MIB)}`)).toThrow(/line 1: the single-quoted value of A is never closed/);
      const folded = 'z\n'.repeat(4 * MIB);
      expect(parseOneEnv(`export A="${folded}"\n`).get('A')).toBe(folded);
    },
    TIMEOUT_MS,
  );

  test('double-quoted values read as the line-by-line rule says (property)', () => {
    const piece = fc.constantFrom('"', '\n', 'a', ' ', "'", '\\', '=', '#', 'B="', '\r');
    const tail = fc.string({ unit: piece, maxLength: 60 });
    fc.assert(
      fc.property(tail, (afterQuote) => {
        const expected = referenceDoubleQuoted(afterQuote);
        const text = `NAME="${afterQuote}`;
        if (expected === undefined) {
          expect(() => parseContextSh(text)).toThrow(ContextSyntaxError);
          return;
        }
        let parsed: Map<string, string> | undefined;
        try {
          parsed = parseContextSh(text);
        } catch (error) {
          // What follows the value's line may itself be malformed; the value is then not returned.
          expect(error).toBeInstanceOf(ContextSyntaxError);
          return;
        }
        expect(parsed.get('NAME')).toBe(expected);
      }),
      { seed: 1109, numRuns: 5_000 },
    );
  });
});

describe('parseConfig on many variables', () => {
  test(
    '50 000 load-balancer variables: every out-of-bounds one named, once',
    () => {
      const vars = new Map<string, string>();
      for (let index = 0; index < 50_000; index += 1) vars.set(`ONEAPP_VNF_HAPROXY_LB${index}_PORT`, String(1024 + (index % 60_000)));
      const result = parseConfig(vars);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      // LB0-LB99 are within bounds (and their ports distinct); the other 49 900 are named.
      expect(result.issues).toHaveLength(49_900);
      expect(new Set(result.issues.map((issue) => issue.variable)).size).toBe(49_900);
    },
    TIMEOUT_MS,
  );

  test(
    '30 000 static backends (100 LBs) are all read',
    () => {
      const vars = new Map<string, string>();
      for (let lb = 0; lb < 100; lb += 1) {
        vars.set(`ONEAPP_VNF_HAPROXY_LB${lb}_PORT`, String(2000 + lb));
        for (let server = 0; server < 300; server += 1) {
          vars.set(`ONEAPP_VNF_HAPROXY_LB${lb}_SERVER${server}_HOST`, '10.0.0.1');
          vars.set(`ONEAPP_VNF_HAPROXY_LB${lb}_SERVER${server}_PORT`, '80');
        }
      }
      const result = parseConfig(vars);
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.config.loadBalancers.reduce((sum, lb) => sum + lb.staticServers.length, 0)).toBe(30_000);
    },
    TIMEOUT_MS,
  );
});
