// Reliability, issue 11 items 5 and 18: the storage disk. `validate` refuses a mount point that is a
// system folder, a parent of one or inside a system tree (`/etc` used to validate, and the fresh disk
// was mounted over it); at configure time a folder that already holds files is refused too (not our
// mount). A disk too small for mkfs is reported with mkfs's reason, not the tail of its usage text.
// The configure-time cases use real loop devices (root and losetup).

import { execa } from 'execa';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { applyPlan } from '../../src/executor/apply.ts';
import { NodeHost } from '../../src/host/node-host.ts';
import { createLogger, SecretSet } from '../../src/log/logger.ts';
import { gatherDiskFacts, planStorageDisk } from '../../src/roles/storage/disk/index.ts';
import { tempRoot } from '../support/temp-root.ts';
import { namedVariables, runOneke } from './validate-cli.ts';

describe('ONEAPP_STORAGE_MOUNTPOINT in validate', () => {
  test.each([
    '/',
    '/etc',
    '/usr',
    '/boot',
    '/var',
    '/var/lib',
    '/var/lib/rancher',
    '/var/lib/rancher/rke2',
    '/proc',
    '/sys/fs',
    '/dev/shm',
    '/run/longhorn',
    '/lib64',
    '/home',
    '/root',
    '/tmp',
    '/tmp/x',
    '/etc/longhorn',
    '/var/log',
  ])('%s is refused naming the variable', async (mountpoint) => {
    const run = await runOneke({ ONEAPP_STORAGE_MOUNTPOINT: mountpoint });
    expect(run.code).toBe(2);
    expect(namedVariables(run.stderr)).toEqual(['ONEAPP_STORAGE_MOUNTPOINT']);
  });

  test.each(['/var/lib/longhorn', '/data', '/mnt/longhorn', '/srv/longhorn', '/var/lib/longhorn-data'])('%s is fine', async (mountpoint) => {
    expect(await runOneke({ ONEAPP_STORAGE_MOUNTPOINT: mountpoint })).toMatchObject({ code: 0, stdout: 'OK\n' });
  });
});

const isRoot = process.getuid?.() === 0;
const canLoop = isRoot && (await execa('losetup', ['--version'], { reject: false })).exitCode === 0;

/** A sparse image of `size` on a fresh loop device under a temp root, detached when the test ends. */
async function loopDevice(size: string): Promise<{ root: string; device: string }> {
  const dir = await fs.realpath(await tempRoot());
  const root = path.join(dir, 'root');
  await fs.mkdir(root);
  const image = path.join(dir, 'disk.img');
  await execa('truncate', ['-s', size, image]);
  const device = (await execa('losetup', ['-f', '--show', image])).stdout.trim();
  onTestFinished(async () => void (await execa('losetup', ['-d', device], { reject: false })));
  return { root, device };
}

describe.skipIf(!canLoop)('the storage disk at configure time (loop devices)', () => {
  test('a mount point that already holds files is refused, and nothing is formatted', async () => {
    const { root, device } = await loopDevice('64M');
    await fs.mkdir(path.join(root, 'srv/data'), { recursive: true });
    await fs.writeFile(path.join(root, 'srv/data/precious.db'), 'keep me');
    const host = new NodeHost(root);
    const storage = { device, filesystem: 'xfs', mountpoint: '/srv/data' } as const;
    const facts = await gatherDiskFacts(host, storage);
    expect(() => planStorageDisk(storage, facts)).toThrow(/ONEAPP_STORAGE_MOUNTPOINT=\/srv\/data: the folder already holds files/);
    expect((await execa('blkid', ['-p', device], { reject: false })).stdout).toBe('');
  });

  test('an empty or missing mount point is fine', async () => {
    const { root, device } = await loopDevice('64M');
    await fs.mkdir(path.join(root, 'srv/empty'), { recursive: true });
    const host = new NodeHost(root);
    for (const mountpoint of ['/srv/empty', '/srv/missing']) {
      const actions = planStorageDisk({ device, filesystem: 'ext4', mountpoint }, await gatherDiskFacts(host, { device, filesystem: 'ext4', mountpoint }));
      expect(actions.map((action) => action.kind)).toEqual(['command', 'mount', 'file']);
    }
  });

  test('a disk too small for xfs: the error says so, not the usage text', async () => {
    const { root, device } = await loopDevice('16M');
    const host = new NodeHost(root);
    const storage = { device, filesystem: 'xfs', mountpoint: '/var/lib/longhorn' } as const;
    const actions = planStorageDisk(storage, await gatherDiskFacts(host, storage));
    const logger = createLogger({ level: 'silent', secrets: new SecretSet(), console: false });
    const outcome = applyPlan({ role: 'storage', decision: { kind: 'test', reason: 'tiny disk' }, actions }, { host, logger });
    await expect(outcome).rejects.toThrow(/must be larger than 300MB/);
    await expect(outcome).rejects.not.toThrow(/devicename|blocksize|\[-/);
  });
});
