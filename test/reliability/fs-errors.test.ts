// Reliability, issue 11 item 13: file system faults and `dev onegate --listen` faults end with one
// line and exit 1 (the machine said no) or exit 2 (the input is wrong), never an internal error.

import { execa } from 'execa';
import fs from 'node:fs/promises';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { BINARY, contextSh, REPO } from '../support/binary.ts';
import { isRoot, NEEDS_ROOT } from '../support/netns.ts';
import { tempRoot } from '../support/temp-root.ts';

const STATE = path.join(REPO, 'test/fixtures/onegate/service-1-1-1-1.yaml');

const oneke = (args: string[]) => execa(BINARY, args, { reject: false, env: {}, extendEnv: false, stdin: 'ignore', timeout: 60_000 });

/** One `oneke: …` line, no stack trace, no internal error. */
function expectOneLine(result: { stderr: string }): void {
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(/^oneke: /);
  expect(result.stderr).not.toContain('internal error');
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

async function badContext(): Promise<string> {
  const file = path.join(await tempRoot(), 'context.sh');
  await fs.writeFile(file, contextSh({ ONEAPP_K8S_SERVICE_CIDR: 'nonsense' }));
  return file;
}

/** A tmpfs mounted for this test (removed after it); `options` as for mount -o. */
async function tmpfs(options: string): Promise<string> {
  const dir = await tempRoot();
  await execa('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  onTestFinished(async () => {
    await execa('umount', ['-l', dir], { reject: false });
  });
  return dir;
}

describe('file system faults', () => {
  test('--root that is a file, or whose name is too long: exit 2, one line', async () => {
    const file = path.join(await tempRoot(), 'not-a-folder');
    await fs.writeFile(file, '');
    for (const root of [file, path.join(file, 'below'), `/tmp/${'x'.repeat(300)}`]) {
      for (const command of [['status'], ['--context', await badContext(), 'configure']]) {
        const result = await oneke(['--root', root, ...command]);
        expect(result.exitCode, `${root} ${command.join(' ')}`).toBe(2);
        expectOneLine(result);
      }
    }
  });

  test('a component under the root that is a file: exit 1, one line naming the path', async () => {
    const root = await tempRoot({ '/etc': 'a file where a folder should be' });
    const result = await oneke(['--root', root, '--context', await badContext(), 'configure']);
    expect(result.exitCode).toBe(1);
    expectOneLine(result);
    expect(result.stderr).toContain('/etc/one-appliance');
  });

  test.skipIf(!isRoot())(`a read-only root: exit 1, one line (${NEEDS_ROOT})`, async () => {
    const root = await tmpfs('ro,size=1m');
    const result = await oneke(['--root', root, '--context', await badContext(), 'configure']);
    expect(result.exitCode).toBe(1);
    expectOneLine(result);
    // Node's recursive mkdir reports the first error it met (ENOENT of the missing parent) rather
    // than EROFS; either way the line names the path under the root.
    expect(result.stderr).toContain(`(under ${root})`);
  });

  test.skipIf(!isRoot())(`a full disk: exit 1, one line (${NEEDS_ROOT})`, async () => {
    const root = await tmpfs('size=64k');
    await fs.mkdir(path.join(root, 'etc/one-appliance'), { recursive: true });
    await execa('dd', ['if=/dev/zero', `of=${path.join(root, 'fill')}`, 'bs=4k', 'count=100'], { reject: false });
    const result = await oneke(['--root', root, '--context', await badContext(), 'configure']);
    expect(result.exitCode).toBe(1);
    expectOneLine(result);
    expect(result.stderr).toContain('no space left');
  });
});

describe('dev onegate --listen faults', () => {
  test('a port in use: exit 1, one line', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as AddressInfo).port;
    const result = await oneke(['dev', 'onegate', '--state', STATE, '--listen', `127.0.0.1:${port}`]);
    expect(result.exitCode).toBe(1);
    expectOneLine(result);
    expect(result.stderr).toContain('in use');
  });

  test.each(['192.0.2.1:5030', 'no-such-host.invalid:5030', '[fe80::1234:5678]:5030'])('%s: exit 2, one line', async (listen) => {
    const result = await oneke(['dev', 'onegate', '--state', STATE, '--listen', listen]);
    expect(result.exitCode).toBe(2);
    expectOneLine(result);
    expect(result.stderr).toContain(listen);
  });
});
