// Reliability, issue 11 item 15: a boolean takes YES/NO, TRUE/FALSE or 1/0 in any case (empty means
// the default); anything else is a configuration error naming the variable, never a silent false.

import { describe, expect, test } from 'vitest';
import { namedVariables, runOneke } from './validate-cli.ts';

describe('booleans through `oneke validate`', () => {
  test.each(['YES', 'no', 'True', 'FALSE', '1', '0', ''])('%j is accepted', async (value) => {
    const run = await runOneke({ ONE_SERVICE_AIRGAPPED: value, ONEAPP_K8S_METALLB_ENABLED: value === '' ? '' : 'no' });
    expect(run).toMatchObject({ code: 0, stdout: 'OK\n' });
  });

  test.each(['maybe', 'Y', 'on', 'enabled', '2', 'yes!'])('%j exits 2 naming the variable', async (value) => {
    const run = await runOneke({ ONE_SERVICE_AIRGAPPED: value, ETH0_VROUTER_MANAGEMENT: value });
    expect(run.code).toBe(2);
    expect(namedVariables(run.stderr).sort()).toEqual(['ETH0_VROUTER_MANAGEMENT', 'ONE_SERVICE_AIRGAPPED']);
    expect(run.stderr).toContain('expected YES or NO');
  });
});
