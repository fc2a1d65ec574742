import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { runCli } from '../../../src/cli/program.ts';
import { buildServiceState, startEmulator } from '../../../src/emulator/index.ts';
import { contextSh } from '../../support/binary.ts';
import { tempRoot } from '../../support/temp-root.ts';

// `oneke status --service` against the OneGate emulator, in process.

async function statusService(extra: string[], templates: Record<number, Record<string, string>>, options: { ignoreExtended?: boolean; vmId?: number } = {}) {
  const emulator = await startEmulator({
    state: buildServiceState({
      serviceId: 7,
      roles: [
        { name: 'vnf', vms: [{ id: 0, nics: [{ ip: '192.168.150.5', network: 'public' }, { ip: '10.1.0.1' }], userTemplate: { READY: 'YES', ...templates[0] } }] },
        { name: 'master', vms: [{ id: 1, ip: '10.1.0.10', userTemplate: templates[1] ?? {} }] },
        { name: 'worker', vms: [{ id: 2, ip: '10.1.0.20', userTemplate: templates[2] ?? {} }] },
      ],
    }),
    ...(options.ignoreExtended ? { ignoreExtended: true } : {}),
  });
  onTestFinished(() => emulator.close());
  const root = await tempRoot();
  const vmId = options.vmId ?? 2;
  await fs.writeFile(path.join(root, 'context.sh'), contextSh({ ONEGATE_ENDPOINT: emulator.url, VMID: String(vmId), TOKENTXT: emulator.tokenOf(vmId) ?? '' }));
  let out = '';
  let err = '';
  const code = await runCli(['node', 'oneke', '--root', root, '--log-level', 'silent', '--context', path.join(root, 'context.sh'), 'status', '--service', ...extra], {
    out: (text) => void (out += text),
    err: (text) => void (err += text),
  });
  return { code, out, err, stats: emulator.stats() };
}

describe('oneke status --service', () => {
  test('the whole service from one OneGate request, with what the worker waits for', async () => {
    const { code, out, err, stats } = await statusService([], { 1: { ONEGATE_K8S_MASTER: '10.1.0.10', ONEGATE_K8S_TOKEN: 'K10x::server:y', ONEKE_STATUS: 'success' } });
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(stats.total).toBe(1);
    expect(stats.requests['GET /service?extended']).toBe(1);
    expect(out).toMatch(/^master +1 +10\.1\.0\.10 +- +no +success$/m);
    expect(out).toMatch(/^worker +2 +10\.1\.0\.20 +- +no +-\n {4}waits for a master to join through \(none is READY with its IP and token yet\)$/m);
    // The token is never printed.
    expect(out).not.toContain('K10x');
  });

  test('--json gives the same as data; a failed VM gives exit 1 and its error, escaped', async () => {
    const { code, out } = await statusService(['--json'], { 2: { ONEKE_STATUS: 'failure', ONEKE_ERROR: 'deadline\u001b[31m' } });
    expect(code).toBe(1);
    expect(out).not.toContain('\u001b');
    const status = JSON.parse(out) as { id: number; roles: { name: string; vms: { vmId: number; error: string | null; waitsFor: string | null }[] }[] };
    expect(status.id).toBe(7);
    expect(status.roles.map((r) => r.name)).toEqual(['vnf', 'master', 'worker']);
    expect(status.roles[2]?.vms[0]).toMatchObject({ vmId: 2, error: 'deadline\u001b[31m', waitsFor: 'a master to join through (none is READY with its IP and token yet)' });
  });

  test('an old OneGate that ignores extended still works (one request per VM more)', async () => {
    const { code, out, stats } = await statusService([], {}, { ignoreExtended: true });
    expect(code).toBe(0);
    expect(out).toMatch(/^vnf +0 +192\.168\.150\.5,10\.1\.0\.1 +- +YES +-$/m);
    expect(stats.requests['GET /vms/:id']).toBe(3);
  });
});
