import { describe, expect, test } from 'vitest';
import { buildServiceState } from '../../../src/emulator/index.ts';
import { createEmulatorStore } from '../../../src/emulator/store.ts';
import { parseServiceAnswer, type ServiceRecord } from '../../../src/onegate/parse.ts';
import { anyFailure, printable, serviceStatus, serviceStatusJson, serviceStatusText } from '../../../src/status/service-status.ts';

const MASTER_PUBLISHED = { READY: 'YES', ONEGATE_K8S_MASTER: '10.1.0.10', ONEGATE_K8S_TOKEN: 'K10x::server:y', ONEGATE_K8S_NODE_NAME: 'oneke-ip-10-1-0-10', ONEKE_STATUS: 'success' };

/** The service as GET /service?extended=true shows it, for VM 0. */
function service(templates: Record<number, Record<string, string>>, extraMasters = 0): ServiceRecord {
  const state = buildServiceState({
    serviceId: 7,
    name: 'OneKE 1.33',
    roles: [
      { name: 'vnf', vms: [{ id: 0, nics: [{ ip: '192.168.150.5', network: 'public' }, { ip: '10.1.0.1' }], userTemplate: templates[0] ?? {} }] },
      { name: 'master', vms: [1, ...Array.from({ length: extraMasters }, (_, i) => 5 + i)].map((id) => ({ id, ip: `10.1.0.${10 + id}`, userTemplate: templates[id] ?? {} })) },
      { name: 'worker', vms: [{ id: 2, ip: '10.1.0.20', userTemplate: templates[2] ?? {} }] },
      { name: 'storage', vms: [] },
    ],
  });
  const answer = createEmulatorStore(state).getService(0, true);
  return parseServiceAnswer(JSON.parse(answer.body));
}

describe('the status of every VM of the service', () => {
  test('a stuck formation: the master published its keys but is not READY; the worker says it waits for it', () => {
    const status = serviceStatus(service({ 0: { READY: 'YES', ONEKE_STATUS: 'success' }, 1: { ...MASTER_PUBLISHED, READY: '' } }));
    const vms = status.roles.flatMap((r) => r.vms);
    expect(vms.map((vm) => [vm.role, vm.vmId, vm.ips.join(','), vm.ready, vm.next ?? '-'])).toEqual([
      ['vnf', 0, '192.168.150.5,10.1.0.1', true, '-'],
      ['master', 1, '10.1.0.11', false, 'initialise'],
      ['worker', 2, '10.1.0.20', false, 'wait'],
    ]);
    expect(vms[2]?.waitsFor).toBe('a master to join through (none is READY with its IP and token yet)');
    expect(vms[1]?.nodeName).toBe('oneke-ip-10-1-0-10');
    expect(status).toMatchObject({ id: 7, name: 'OneKE 1.33', state: 'RUNNING' });
  });

  test('the waits come from the join order: a second master waits for the first; a READY one waits for nothing', () => {
    const status = serviceStatus(service({ 1: {} }, 1));
    const second = status.roles.find((r) => r.name === 'master')?.vms.find((vm) => vm.vmId === 5);
    expect(second?.waitsFor).toBe('master 1 to join first (one etcd member joins at a time)');
    const formed = serviceStatus(service({ 1: MASTER_PUBLISHED, 2: { READY: 'YES' } }));
    const worker = formed.roles.find((r) => r.name === 'worker')?.vms[0];
    expect(worker).toMatchObject({ ready: true, next: undefined, waitsFor: undefined });
  });

  test('a failure is shown with its error and gives exit status 1', () => {
    const status = serviceStatus(service({ 2: { ONEKE_STATUS: 'failure', ONEKE_ERROR: 'waited 1200s for a master' } }));
    expect(anyFailure(status)).toBe(true);
    expect(anyFailure(serviceStatus(service({})))).toBe(false);
    expect(serviceStatusText(status)).toContain('    error: waited 1200s for a master\n');
  });

  test('the text: a header, a line per VM, what it waits for below it, roles without VMs named', () => {
    const text = serviceStatusText(serviceStatus(service({ 0: { READY: 'YES', ONEKE_STATUS: 'success' }, 1: MASTER_PUBLISHED })));
    const lines = text.split('\n');
    expect(lines[0]).toBe('service 7 OneKE 1.33 (RUNNING)');
    expect(lines[1]).toMatch(/^ROLE +VM +IP +NODE +READY +STATUS$/);
    expect(lines[2]).toMatch(/^vnf +0 +192\.168\.150\.5,10\.1\.0\.1 +- +YES +success$/);
    expect(lines[3]).toMatch(/^master +1 +10\.1\.0\.11 +oneke-ip-10-1-0-10 +YES +success$/);
    expect(lines[4]).toMatch(/^worker +2 +10\.1\.0\.20 +- +no +-$/);
    expect(lines[5]).toBe('    join-agent: free to go ahead (joining, or about to)');
    expect(lines[6]).toBe('storage: no VMs yet');
  });
});

describe('values from OneGate are escaped before they reach a terminal', () => {
  test.each([
    ['an escape sequence', 'red\u001b[31m', 'red\\u001b[31m'],
    ['a newline and a tab', 'a\nb\tc', 'a\\nb\\tc'],
    ['C1 and bidi controls', 'x\u009b1m\u202e', 'x\\u009b1m\\u202e'],
    ['quotes and backslashes stay readable', 'say "hi" C:\\x', 'say "hi" C:\\x'],
  ])('%s', (_name, raw, shown) => {
    expect(printable(raw)).toBe(shown);
  });

  test('long values are cut', () => {
    expect(printable('x'.repeat(1000), 50)).toHaveLength(50);
  });

  test('in the table and in JSON', () => {
    const status = serviceStatus(service({ 2: { ONEKE_STATUS: 'failure', ONEKE_ERROR: 'bad\u001b]0;pwned\u0007\u009b', ONEGATE_K8S_NODE_NAME: 'n\u001b[2J' } }));
    const text = serviceStatusText(status);
    const json = serviceStatusJson(status);
    for (const out of [text, json]) expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(text).toContain('n\\u001b[2J');
    const parsed = JSON.parse(json) as { roles: { vms: { error: string | null }[] }[] };
    expect(parsed.roles[2]?.vms[0]?.error).toBe('bad\u001b]0;pwned\u0007\u009b');
  });
});
