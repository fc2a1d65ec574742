import fs from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import type { ExecOptions, ExecResult } from '../../../src/host/host.ts';
import { NodeHost } from '../../../src/host/node-host.ts';
import { installPackages, OS_PACKAGES } from '../../../src/install/index.ts';
import { tempRoot } from '../../support/temp-root.ts';

/** A host whose files are real (under a temp root) and whose commands are only recorded. */
class RecordingHost extends NodeHost {
  readonly calls: { file: string; args: readonly string[]; env?: Record<string, string>; policyRcD: string | undefined }[] = [];
  override async exec(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const policyRcD = await this.readFile('/usr/sbin/policy-rc.d');
    this.calls.push({ file, args, ...(options.env ? { env: options.env } : {}), policyRcD });
    return { exitCode: 0, stdout: '', stderr: '' };
  }
}

const logger = pino({ level: 'silent' });

describe('installPackages', () => {
  test('apt-get through argv, with services kept from starting, then keepalived, HAProxy and unbound disabled', async () => {
    const root = await tempRoot();
    const host = new RecordingHost(root, { systemctl: 'systemctl' });
    await installPackages(host, logger);

    expect(host.calls.map((c) => [c.file, ...c.args])).toEqual([
      ['apt-get', 'update', '-q'],
      [
        'apt-get',
        'install',
        '-y',
        '-q',
        '--no-install-recommends',
        '-o',
        'Dpkg::Options::=--force-confdef',
        '-o',
        'Dpkg::Options::=--force-confold',
        'keepalived',
        'haproxy',
        'nftables',
        'unbound',
        'xfsprogs',
        'open-iscsi',
        'nfs-common',
        'skopeo',
        'zstd',
      ],
      ['systemctl', 'disable', 'keepalived.service'],
      ['systemctl', 'disable', 'haproxy.service'],
      ['systemctl', 'disable', 'unbound.service'],
    ]);
    expect(host.calls[1]?.env).toMatchObject({ DEBIAN_FRONTEND: 'noninteractive' });
    expect(host.calls[1]?.policyRcD).toMatch(/exit 101/);
    // Gone again afterwards.
    await expect(fs.access(path.join(root, 'usr/sbin/policy-rc.d'))).rejects.toThrow();
    expect(OS_PACKAGES.every((p) => p.why.length > 0)).toBe(true);
  });

  test('an earlier policy-rc.d is put back, also when apt-get fails', async () => {
    const root = await tempRoot({ '/usr/sbin/policy-rc.d': '#!/bin/sh\nexit 0\n' });
    class FailingHost extends RecordingHost {
      override async exec(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
        await super.exec(file, args, options);
        return { exitCode: args[0] === 'install' ? 100 : 0, stdout: '', stderr: 'E: Unable to locate package' };
      }
    }
    const host = new FailingHost(root);
    await expect(installPackages(host, logger)).rejects.toThrow(/apt-get install .* exited 100: E: Unable to locate package/);
    expect(await fs.readFile(path.join(root, 'usr/sbin/policy-rc.d'), 'utf8')).toBe('#!/bin/sh\nexit 0\n');
    expect(host.calls.some((c) => c.file === 'systemctl')).toBe(false);
  });
});
