import { describe, expect, test } from 'vitest';
import { NodeHost } from '../../../src/host/node-host.ts';
import { readStatusRecord, readStatusWord, setStepState } from '../../../src/status/status.ts';
import { tempRoot } from '../../support/temp-root.ts';

describe('status', () => {
  test('a step goes started → success in the status file, the record and the motd', async () => {
    const host = new NodeHost(await tempRoot());
    await setStepState(host, '1.2.3', 'configure', 'started', { now: new Date('2026-01-01T00:00:00Z') });
    expect(await readStatusWord(host)).toBe('configure_started');
    expect(await host.readFile('/etc/motd')).toContain('still configuring');
    await setStepState(host, '1.2.3', 'configure', 'success', { role: 'master', now: new Date('2026-01-01T00:01:00Z') });
    await setStepState(host, '1.2.3', 'bootstrap', 'success');
    expect(await host.readFile('/etc/one-appliance/status')).toBe('bootstrap_success\n');
    const record = await readStatusRecord(host);
    expect(record?.role).toBe('master');
    expect(record?.steps.configure).toEqual({ state: 'success', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:01:00.000Z' });
    expect(await host.readFile('/etc/motd')).toContain('All set and ready to serve');
  });

  test('a failure keeps its reason, and a new configure run clears the old bootstrap', async () => {
    const host = new NodeHost(await tempRoot());
    await setStepState(host, '1', 'bootstrap', 'success');
    await setStepState(host, '1', 'configure', 'started');
    expect((await readStatusRecord(host))?.steps.bootstrap).toBeUndefined();
    await setStepState(host, '1', 'configure', 'failure', { error: 'ONEAPP_X="y": expected z' });
    expect(await readStatusWord(host)).toBe('configure_failure');
    const motd = await host.readFile('/etc/motd');
    expect(motd).toContain('FAILED');
    expect(motd).toContain('ONEAPP_X="y": expected z');
  });

  test('a damaged record is rebuilt', async () => {
    const host = new NodeHost(await tempRoot({ '/etc/one-appliance/oneke-status.json': '{not json' }));
    await setStepState(host, '1', 'configure', 'started');
    expect((await readStatusRecord(host))?.steps.configure?.state).toBe('started');
  });
});
