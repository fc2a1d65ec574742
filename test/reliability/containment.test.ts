// Reliability, issue 11 item 1: containment under --root. A symbolic link that already exists inside
// the root must never lead a read, write, chmod, mkdir, append or rename out of it; an absolute link
// (Debian's `var/run -> /run`) is followed with the root as `/`. Each case plants links that point
// at a folder outside the root and checks that the outside is untouched and the work landed inside.

import { execa } from 'execa';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadContext } from '../../src/context/index.ts';
import { NodeHost } from '../../src/host/node-host.ts';
import { underRoot } from '../../src/host/root-path.ts';
import { BINARY, contextSh } from '../support/binary.ts';
import { tempRoot } from '../support/temp-root.ts';

/** A root, and a folder beside it that plays "the machine outside the root". */
async function rootAndOutside(): Promise<{ root: string; outside: string }> {
  return { root: await tempRoot(), outside: await tempRoot() };
}

async function tree(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true });
  return entries.map(String).sort();
}

describe('paths are resolved inside the root', () => {
  test('an absolute link starts again at the root, a relative one cannot climb above it', async () => {
    const { root, outside } = await rootAndOutside();
    await fs.mkdir(path.join(root, 'var'), { recursive: true });
    await fs.symlink(outside, path.join(root, 'var/run'));
    await fs.symlink('../../../../../../../../..', path.join(root, 'up'));
    expect(underRoot(root, '/var/run/one-context/x')).toBe(path.join(root, outside, 'one-context/x'));
    expect(underRoot(root, '/up/etc/shadow')).toBe(path.join(root, 'etc/shadow'));
    // The link itself, when asked for it.
    expect(underRoot(root, '/var/run', { followLast: false })).toBe(path.join(root, 'var/run'));
  });

  test('a loop of links is an error, not a hang', async () => {
    const { root } = await rootAndOutside();
    await fs.symlink('/b', path.join(root, 'a'));
    await fs.symlink('/a', path.join(root, 'b'));
    expect(() => underRoot(root, '/a/x')).toThrow(/ELOOP/);
    await expect(new NodeHost(root).writeFile('/a/x', 'x', 0o644)).rejects.toMatchObject({ code: 'ONEKE_FILESYSTEM', exitCode: 1 });
  });

  test('writeFile, mkdir, appendFile, symlink and readFile through a link stay inside the root', async () => {
    const { root, outside } = await rootAndOutside();
    await fs.writeFile(path.join(outside, 'secret'), 'outside\n');
    await fs.chmod(outside, 0o755);
    await fs.mkdir(path.join(root, 'etc'), { recursive: true });
    await fs.symlink(outside, path.join(root, 'etc/rancher')); // absolute: the root's own /<outside>
    await fs.mkdir(path.join(root, 'var/lib'), { recursive: true });
    await fs.symlink(path.relative(path.join(root, 'var/lib'), outside), path.join(root, 'var/lib/rancher')); // relative, climbing out
    await fs.symlink(path.join(outside, 'secret'), path.join(root, 'etc/motd')); // a file link
    const host = new NodeHost(root);

    await host.writeFile('/etc/rancher/rke2/config.yaml', 'token: K10s3cret\n', 0o600);
    await host.mkdir('/var/lib/rancher/rke2/server/manifests', 0o700);
    await host.appendFile('/var/lib/rancher/log.txt', 'line\n', 0o600);
    await host.symlink('/etc/rancher/rke2/link', '/x');
    await host.writeFile('/etc/motd', 'hello\n', 0o644);
    expect(await host.readFile('/etc/rancher/rke2/config.yaml')).toBe('token: K10s3cret\n');

    // Nothing changed outside: same files, same content, same mode.
    expect(await tree(outside)).toEqual(['secret']);
    expect(await fs.readFile(path.join(outside, 'secret'), 'utf8')).toBe('outside\n');
    expect((await fs.stat(outside)).mode & 0o777).toBe(0o755);
    // Everything landed under the root.
    expect(await fs.readFile(path.join(root, outside, 'rke2/config.yaml'), 'utf8')).toBe('token: K10s3cret\n');
    // The relative link climbs as far as the root and then down into the root's own <basename>.
    const climbed = path.join(root, path.basename(outside));
    expect((await fs.stat(path.join(climbed, 'rke2/server/manifests'))).mode & 0o777).toBe(0o700);
    expect(await fs.readFile(path.join(climbed, 'log.txt'), 'utf8')).toBe('line\n');
    expect(await fs.readlink(path.join(root, outside, 'rke2/link'))).toBe('/x');
    // A link where a file is written is replaced by the file, not written through.
    expect((await fs.lstat(path.join(root, 'etc/motd'))).isFile()).toBe(true);
    expect(await fs.readFile(path.join(root, 'etc/motd'), 'utf8')).toBe('hello\n');
  });

  test("reading through a link that leads out of the root reads the root's file, not the outside one", async () => {
    const { root, outside } = await rootAndOutside();
    await fs.writeFile(path.join(outside, 'token'), 'outside-token\n');
    await fs.mkdir(path.join(root, 'etc'), { recursive: true });
    await fs.symlink(path.join(outside, 'token'), path.join(root, 'etc/token'));
    const host = new NodeHost(root);
    expect(await host.readFile('/etc/token')).toBeUndefined(); // the root's <outside>/token does not exist
    await fs.mkdir(path.join(root, outside), { recursive: true });
    await fs.writeFile(path.join(root, outside, 'token'), 'inside-token\n');
    expect(await host.readFile('/etc/token')).toBe('inside-token\n');
  });

  test('the context behind an absolute var/run link comes from the root, not from the machine', async () => {
    const { root, outside } = await rootAndOutside();
    await fs.mkdir(path.join(outside, 'one-context'), { recursive: true });
    await fs.writeFile(path.join(outside, 'one-context/context.sh.local'), contextSh({ VMID: '666' }));
    await fs.writeFile(path.join(outside, 'one-context/one_env'), 'export TOKENTXT="outside"\n');
    await fs.mkdir(path.join(root, 'var'), { recursive: true });
    await fs.symlink(outside, path.join(root, 'var/run')); // the root's var/run is the root's <outside>: empty
    await fs.mkdir(path.join(root, 'run/one-context'), { recursive: true });
    await fs.writeFile(path.join(root, 'run/one-context/context.sh.local'), contextSh({ VMID: '7' }));
    await fs.writeFile(path.join(root, 'run/one-context/one_env'), 'export TOKENTXT="inside"\n');
    const vars = await loadContext({ root });
    expect([vars.get('VMID'), vars.get('TOKENTXT')]).toEqual(['7', 'inside']);
  });

  test("root / keeps the kernel's resolution", () => {
    expect(underRoot('/', '/etc/../etc/motd')).toBe('/etc/motd');
  });
});

describe('dist/oneke under a root with links out of it', () => {
  test('status, motd, record and the step log never land outside the root', async () => {
    const { root, outside } = await rootAndOutside();
    const logs = await tempRoot();
    await fs.symlink(outside, path.join(root, 'etc'));
    await fs.mkdir(path.join(root, 'var'), { recursive: true });
    await fs.symlink(logs, path.join(root, 'var/log'));
    const context = path.join(await tempRoot(), 'context.sh');
    await fs.writeFile(context, contextSh({ ONEGATE_ENDPOINT: 'http://127.0.0.1:9', VMID: '1', ONEAPP_K8S_SERVICE_CIDR: 'nonsense' }));

    const result = await execa(BINARY, ['--root', root, '--context', context, 'configure'], { reject: false, env: {}, extendEnv: false, stdin: 'ignore' });
    expect(result.exitCode).toBe(2);
    expect(await tree(outside)).toEqual([]);
    expect(await tree(logs)).toEqual([]);
    expect(await fs.readFile(path.join(root, outside, 'one-appliance/status'), 'utf8')).toBe('configure_failure\n');
    expect(await fs.readFile(path.join(root, logs, 'one-appliance/configure.log'), 'utf8')).toContain('configure failed');
  });
});
