import { execa } from 'execa';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { startEmulator, buildServiceState } from '../../../src/emulator/index.ts';
import { BINARY, contextSh } from '../../support/binary.ts';
import { tempRoot } from '../../support/temp-root.ts';

const oneke = (args: string[], env: Record<string, string> = {}) => execa(BINARY, args, { reject: false, env, extendEnv: false, stdin: 'ignore' });

async function contextFile(vars: Record<string, string>): Promise<string> {
  const root = await tempRoot();
  const file = path.join(root, 'context.sh');
  await fs.writeFile(file, contextSh(vars));
  return file;
}

describe('dist/oneke', () => {
  test('runs with no Node and an empty environment', async () => {
    const result = await execa('env', ['-i', BINARY, '--version'], { reject: false });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await oneke(['--help']);
    expect(help.exitCode).toBe(0);
    for (const command of ['install', 'configure', 'bootstrap', 'plan', 'status', 'validate', 'clean', 'vnf', 'dev']) expect(help.stdout).toContain(command);
  });

  test('validate lists all five mistakes, one line each, and exits 2', async () => {
    const file = await contextFile({
      ONEAPP_VNF_HAPROXY_LB0_PORT: '70000',
      ONEAPP_VROUTER_ETH0_VIP0: '10.0.0.300',
      ONEAPP_K8S_CLUSTER_CIDR: '10.42.0.0/99',
      ONEAPP_K8S_CNI_PLUGIN: 'flannel',
      ONEAPP_VNF_KEEPALIVED_PASSWORD: 'much-too-long-password',
    });
    const result = await oneke(['validate', '--context', file]);
    expect(result.exitCode).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(6);
    for (const variable of [
      'ONEAPP_VNF_HAPROXY_LB0_PORT="70000"',
      'ONEAPP_VROUTER_ETH0_VIP0="10.0.0.300"',
      'ONEAPP_K8S_CLUSTER_CIDR="10.42.0.0/99"',
      'ONEAPP_K8S_CNI_PLUGIN="flannel"',
      'ONEAPP_VNF_KEEPALIVED_PASSWORD=<hidden',
    ]) {
      expect(lines.filter((l) => l.startsWith(variable))).toHaveLength(1);
    }
    expect(lines.every((l) => !l.includes('    at '))).toBe(true); // no stack traces
    expect(result.stderr).not.toContain('much-too-long-password');
    expect(lines.at(-1)).toBe('5 problems found');
  });

  test('validate says OK on a good context', async () => {
    const file = await contextFile({ ONEAPP_VROUTER_ETH0_VIP0: '192.168.150.86', ONEAPP_K8S_CNI_PLUGIN: 'canal', ONEAPP_VNF_HAPROXY_LB0_PORT: '9345' });
    const result = await oneke(['validate', '--context', file]);
    expect([result.exitCode, result.stdout]).toEqual([0, 'OK']);
  });

  test('a missing context file is one line and exit 2; a bad option exit 2', async () => {
    const result = await oneke(['validate', '--context', '/nonexistent/context.sh']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual(['oneke: /nonexistent/context.sh: no such file']);
    expect((await oneke(['status', '--log-level', 'loud'])).exitCode).toBe(2);
  });

  test('status before any step, then after a failed configure', async () => {
    const root = await tempRoot();
    const before = await oneke(['--root', root, 'status']);
    expect([before.exitCode, before.stdout.trim()]).toEqual([0, 'status: no step has run yet']);

    const emulator = await startEmulator({ state: buildServiceState({ serviceId: 10, roles: [{ name: 'master', vms: [{ id: 1, ip: '172.20.0.1' }] }] }) });
    onTestFinished(() => emulator.close());
    const file = await contextFile({ ONEGATE_ENDPOINT: emulator.url, VMID: '1', TOKENTXT: emulator.tokenOf(1) ?? '', ONEAPP_K8S_SERVICE_CIDR: 'nonsense' });
    const configure = await oneke(['--root', root, '--context', file, 'configure']);
    expect(configure.exitCode).toBe(2);
    expect(configure.stderr).toContain('oneke: ONEAPP_K8S_SERVICE_CIDR="nonsense": expected');
    expect(await fs.readFile(path.join(root, 'etc/one-appliance/status'), 'utf8')).toBe('configure_failure\n');
    // The reason reached OneGate although the context is bad: its OneGate variables were sound.
    expect(emulator.vm(1)?.USER_TEMPLATE).toMatchObject({ ONEKE_STATUS: 'failure', ONEKE_ERROR: expect.stringContaining('ONEAPP_K8S_SERVICE_CIDR') });
    const status = await oneke(['--root', root, 'status', '--json']);
    expect(status.exitCode).toBe(1);
    expect(JSON.parse(status.stdout)).toMatchObject({ status: 'configure_failure', steps: { configure: { state: 'failure', error: expect.stringContaining('ONEAPP_K8S_SERVICE_CIDR') } } });
    expect(await fs.readFile(path.join(root, 'etc/motd'), 'utf8')).toContain('FAILED');

    const bootstrap = await oneke(['--root', root, '--context', file, 'bootstrap']);
    expect(bootstrap.exitCode).toBe(2);
    expect(await fs.readFile(path.join(root, 'etc/one-appliance/status'), 'utf8')).toBe('bootstrap_failure\n');
    expect(emulator.vm(1)?.USER_TEMPLATE.READY).toBeUndefined();
  });

  test('bootstrap before a successful configure fails and reports no READY', async () => {
    const root = await tempRoot();
    const emulator = await startEmulator({ state: buildServiceState({ serviceId: 10, roles: [{ name: 'master', vms: [{ id: 1, ip: '172.20.0.1' }] }] }) });
    onTestFinished(() => emulator.close());
    const file = await contextFile({ ONEGATE_ENDPOINT: emulator.url, VMID: '1', TOKENTXT: emulator.tokenOf(1) ?? '', REPORT_READY: 'YES' });
    const result = await oneke(['--root', root, '--context', file, 'bootstrap']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('configure has not succeeded');
    expect(emulator.vm(1)?.USER_TEMPLATE).toMatchObject({ ONEKE_STATUS: 'failure' });
    expect(emulator.vm(1)?.USER_TEMPLATE.READY).toBeUndefined();
  });
});
