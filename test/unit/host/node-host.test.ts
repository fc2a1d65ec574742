import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { NodeHost } from '../../../src/host/node-host.ts';
import { underRoot } from '../../../src/host/root-path.ts';
import { InternalError } from '../../../src/errors.ts';
import { tempRoot } from '../../support/temp-root.ts';

describe('underRoot', () => {
  test.each([
    ['/tmp/r', '/etc/motd', '/tmp/r/etc/motd'],
    ['/tmp/r', '/etc/../etc/motd', '/tmp/r/etc/motd'],
    ['/', '/etc/motd', '/etc/motd'],
  ])('root %s, path %s → %s', (root, vmPath, expected) => {
    expect(underRoot(root, vmPath)).toBe(expected);
  });

  test('refuses relative paths and paths that climb out of the root', () => {
    expect(() => underRoot('/tmp/r', 'etc/motd')).toThrow(InternalError);
    expect(() => underRoot('/tmp/r', '/../../etc/shadow')).not.toThrow(); // normalised to /etc/shadow under root
    expect(underRoot('/tmp/r', '/../../etc/shadow')).toBe('/tmp/r/etc/shadow');
  });
});

describe('NodeHost files', () => {
  test('writeFile creates parents, sets the exact mode and leaves no temp file', async () => {
    const root = await tempRoot();
    const host = new NodeHost(root);
    await host.writeFile('/etc/rancher/rke2/config.yaml', 'token: s3cret\n', 0o600);
    const file = path.join(root, 'etc/rancher/rke2/config.yaml');
    expect(await fs.readFile(file, 'utf8')).toBe('token: s3cret\n');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(await fs.readdir(path.dirname(file))).toEqual(['config.yaml']);
  });

  test('writeFile replaces a file whole and narrows a wider mode', async () => {
    const root = await tempRoot({ '/etc/x.conf': 'old content that is longer\n' });
    await fs.chmod(path.join(root, 'etc/x.conf'), 0o644);
    const host = new NodeHost(root);
    await host.writeFile('/etc/x.conf', 'new\n', 0o600);
    expect(await host.readFile('/etc/x.conf')).toBe('new\n');
    expect((await host.stat('/etc/x.conf'))?.mode).toBe(0o600);
  });

  test('the mode is right even under a restrictive umask', async () => {
    const root = await tempRoot();
    const host = new NodeHost(root);
    const old = process.umask(0o077);
    try {
      await host.writeFile('/etc/motd', 'hi\n', 0o644);
    } finally {
      process.umask(old);
    }
    expect((await host.stat('/etc/motd'))?.mode).toBe(0o644);
  });

  test('readFile and stat say undefined for a missing file; symlinks and readLink round-trip', async () => {
    const root = await tempRoot();
    const host = new NodeHost(root);
    expect(await host.readFile('/nope')).toBeUndefined();
    expect(await host.stat('/nope')).toBeUndefined();
    await host.symlink('/var/lib/x/link.yaml', '/usr/share/x.yaml');
    expect(await host.readLink('/var/lib/x/link.yaml')).toBe('/usr/share/x.yaml');
    await host.symlink('/var/lib/x/link.yaml', '/usr/share/y.yaml');
    expect(await host.readLink('/var/lib/x/link.yaml')).toBe('/usr/share/y.yaml');
    expect((await host.stat('/var/lib/x/link.yaml'))?.isSymlink).toBe(true);
  });
});

describe('NodeHost commands', () => {
  test('exec returns the exit code and output without throwing', async () => {
    const host = new NodeHost('/');
    const result = await host.exec('sh', ['-c', 'echo out; echo err >&2; exit 3']);
    expect(result).toEqual({ exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
  });

  test('run throws a CommandError that masks secret arguments', async () => {
    const host = new NodeHost('/');
    await expect(host.run('sh', ['-c', 'exit 4', 'token=abcdef123'], { secretArgs: ['abcdef123'] })).rejects.toMatchObject({
      code: 'ONEKE_COMMAND_FAILED',
      exitCodeOfCommand: 4,
      message: expect.not.stringContaining('abcdef123'),
    });
  });

  test('a missing program is a CommandError, not a crash', async () => {
    const host = new NodeHost('/');
    await expect(host.run('/nonexistent/program', [])).rejects.toMatchObject({ code: 'ONEKE_COMMAND_FAILED' });
  });
});
