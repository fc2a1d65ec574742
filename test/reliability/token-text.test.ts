// Reliability, issue 11 item 13 (TOKENTXT): a token that an HTTP header cannot carry (non-ASCII,
// control characters) used to pass validation and fail later as "cannot talk to OneGate". `validate`
// now rejects it, naming TOKENTXT and never showing the value, not even in part.

import { describe, expect, test } from 'vitest';
import { namedVariables, runOneke } from './validate-cli.ts';

const GOOD = 'tok3n-of-the-VM-0123456789abcdef';

describe('TOKENTXT', () => {
  test.each([
    ['non-Latin-1', `${GOOD}€`],
    ['Latin-1 but not ASCII', `${GOOD}é`],
    ['a control character', `${GOOD}\u0007`],
    ['an escape sequence', `${GOOD}\u001b[2J`],
    ['DEL', `${GOOD}\u007f`],
    ['a space inside', 'tok3n of-the-VM'],
  ])('%s: exit 2 naming TOKENTXT, the value hidden', async (_what, token) => {
    const run = await runOneke({ TOKENTXT: token });
    expect(run.code).toBe(2);
    expect(namedVariables(run.stderr)).toEqual(['TOKENTXT']);
    expect(run.stderr).toContain(`TOKENTXT=<hidden, ${[...token].length} characters>`);
    for (const part of ['tok3n', 'of-the-VM', '0123456789']) expect(run.stderr).not.toContain(part);
  });

  test('a printable ASCII token is fine', async () => {
    expect(await runOneke({ TOKENTXT: GOOD })).toMatchObject({ code: 0, stdout: 'OK\n' });
  });
});
