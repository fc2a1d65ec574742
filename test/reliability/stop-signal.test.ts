// Reliability, issue 11 item 16: SIGTERM or SIGINT during `configure` records the failure within a
// short grace period: `configure_failure` in the status, ONEKE_STATUS=failure and ONEKE_ERROR
// "stopped by signal" on the VM through OneGate, then a non-zero exit. Order and outcome only.

import { execa } from 'execa';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { nodeContext, SERVICE_ID, serviceState } from '../../bench/lib/service-state.ts';
import { defaultToken, startEmulator } from '../../src/emulator/index.ts';
import { BINARY, contextSh } from '../support/binary.ts';
import { eventually } from '../support/netns.ts';
import { tempRoot } from '../support/temp-root.ts';

describe('a stop signal during configure', () => {
  test.each(['SIGTERM', 'SIGINT'] as const)('%s: the failure is recorded and published, then exit non-zero', async (signal) => {
    // A worker whose master has published nothing yet waits (polling OneGate) until stopped.
    const { state, vms } = serviceState({ vnf: 1, master: 1, worker: 1, storage: 0 }, { formed: false });
    const emulator = await startEmulator({ state });
    onTestFinished(() => emulator.close());
    const worker = vms.find((vm) => vm.role === 'worker');
    if (!worker) throw new Error('no worker in the service');
    const root = await tempRoot();
    const context = path.join(await tempRoot(), 'context.sh');
    // No private gateway: the worker has no route to set, so it runs in this machine's own network
    // namespace without touching it (the --root rule would refuse an `ip route` here).
    await fs.writeFile(context, contextSh({ ...nodeContext(worker, emulator.url, defaultToken(SERVICE_ID, worker.id)), ONEAPP_VROUTER_ETH1_VIP0: '' }));

    const child = execa(BINARY, ['--root', root, '--context', context, 'configure'], { reject: false, env: {}, extendEnv: false, stdin: 'ignore', timeout: 120_000 });
    const log = path.join(root, 'var/log/one-appliance/configure.log');
    // It is waiting: the step started and the log says what it waits for.
    await eventually(async () => (await fs.readFile(log, 'utf8').catch(() => '')).includes('waiting'), 'configure to wait for the master', 60_000, 100);
    expect(await fs.readFile(path.join(root, 'etc/one-appliance/status'), 'utf8')).toBe('configure_started\n');
    child.kill(signal);
    const result = await child;

    expect(result.exitCode).not.toBe(0);
    expect(result.exitCode).not.toBe(70);
    expect(result.signal).toBeUndefined(); // it exited by itself, after recording
    expect(result.stderr).toContain('stopped by signal');
    expect(await fs.readFile(path.join(root, 'etc/one-appliance/status'), 'utf8')).toBe('configure_failure\n');
    const record = JSON.parse(await fs.readFile(path.join(root, 'etc/one-appliance/oneke-status.json'), 'utf8')) as { steps: { configure: { error: string } } };
    expect(record.steps.configure.error).toContain('stopped by signal');
    expect(emulator.vm(worker.id)?.USER_TEMPLATE).toMatchObject({ ONEKE_STATUS: 'failure', ONEKE_ERROR: expect.stringContaining('stopped by signal') });
  });
});
