// The dedicated disk end to end on REAL loop devices: gather, plan and the real executor on a temp
// --root. Needs root and losetup. Every loop device, mount and image a test makes is removed when
// the test ends, also when it fails.

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, onTestFinished, test } from 'vitest';
import type { Config } from '../../../src/config/index.ts';
import { RuntimeProblem } from '../../../src/errors.ts';
import { applyPlan } from '../../../src/executor/apply.ts';
import { NodeHost } from '../../../src/host/node-host.ts';
import { createLogger, SecretSet } from '../../../src/log/logger.ts';
import type { Action } from '../../../src/plan/plan.ts';
import { gatherDiskFacts, planStorageDisk, planStorageDiskWithWarnings } from '../../../src/roles/storage/disk/index.ts';

const MP = '/var/lib/longhorn';

async function sh(file: string, args: readonly string[]): Promise<string> {
  const result = await execa(file, args, { reject: false, stdin: 'ignore' });
  if (result.exitCode !== 0) throw new Error(`${file} ${args.join(' ')} exited ${result.exitCode}: ${result.stderr.trim()}`);
  return result.stdout;
}

async function hasLosetup(): Promise<boolean> {
  const result = await execa('losetup', ['--version'], { reject: false, stdin: 'ignore' });
  return result.exitCode === 0;
}

const isRoot = process.getuid?.() === 0;
const canLoop = isRoot && (await hasLosetup());
const SKIP_REASON = !isRoot ? 'not root' : 'losetup is not available';
if (!canLoop) console.warn(`storage integration tests skipped: ${SKIP_REASON} (they need real loop devices)`);

/**
 * A temp --root and what the test makes on the machine. One cleanup, registered first, undoes it all
 * in the right order: unmount everything under the root, detach the loop devices, remove the files.
 */
async function workspace() {
  // Real path: findmnt reports mount points with symbolic links resolved.
  const dir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'oneke-disk-')));
  const root = path.join(dir, 'root');
  await fs.mkdir(root);
  const loops: string[] = [];
  onTestFinished(async () => {
    const errors: unknown[] = [];
    const mounts = await execa('findmnt', ['--noheadings', '--raw', '--output', 'TARGET'], { reject: false });
    const ours = mounts.stdout
      .split('\n')
      .map((line) => line.trim().replace(/\\x([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))))
      .filter((target) => target.startsWith(`${dir}/`))
      .reverse();
    for (const target of ours) await sh('umount', [target]).catch((error: unknown) => errors.push(error));
    for (const loop of loops) await sh('losetup', ['-d', loop]).catch((error: unknown) => errors.push(error));
    await fs.rm(dir, { recursive: true, force: true }).catch((error: unknown) => errors.push(error));
    if (errors.length > 0) throw new AggregateError(errors, 'storage test cleanup failed');
  });

  const host = new NodeHost(root);
  const logger = createLogger({ level: 'silent', secrets: new SecretSet(), console: false });
  return {
    dir,
    root,
    host,
    /** A sparse image on a fresh loop device (mkfs.xfs needs at least 300 MB). */
    async loop(name: string, size = '300M'): Promise<string> {
      const image = path.join(dir, `${name}.img`);
      await sh('truncate', ['-s', size, image]);
      const device = (await sh('losetup', ['-f', '--show', image])).trim();
      loops.push(device);
      return device;
    },
    async plan(storage: Config['storage']): Promise<Action[]> {
      return planStorageDisk(storage, await gatherDiskFacts(host, storage));
    },
    async apply(actions: Action[]) {
      return applyPlan({ role: 'storage', decision: { kind: 'test', reason: 'storage disk' }, actions }, { host, logger });
    },
    async fstabLines(): Promise<string[]> {
      return ((await host.readFile('/etc/fstab')) ?? '').split('\n').filter((line) => line.trim() !== '');
    },
    /** What findmnt sees mounted at the VM path, as `SOURCE FSTYPE`, or '' when nothing. */
    async mountedAt(vmPath: string): Promise<string> {
      const result = await execa('findmnt', ['--noheadings', '--raw', '--output', 'SOURCE,FSTYPE', '--mountpoint', host.hostPath(vmPath)], { reject: false });
      return result.stdout.trim().split('\n').at(-1) ?? '';
    },
  };
}

async function blkid(device: string, tag: string): Promise<string> {
  const result = await execa('blkid', ['-p', '-s', tag, '-o', 'value', device], { reject: false });
  return result.stdout.trim();
}

describe.skipIf(!canLoop)(`storage disk on real loop devices${canLoop ? '' : ` (skipped: ${SKIP_REASON})`}`, () => {
  test('an empty device is formatted xfs, mounted, recorded in fstab once; the second run changes nothing', async () => {
    const ws = await workspace();
    const device = await ws.loop('empty');
    await ws.host.writeFile('/etc/fstab', '# /etc/fstab\nUUID=1234 / ext4 defaults 0 1\n', 0o644);
    const storage: Config['storage'] = { device, filesystem: 'xfs', mountpoint: MP };

    const first = await ws.plan(storage);
    expect(first.map((action) => action.kind)).toEqual(['command', 'mount', 'file']);
    await ws.apply(first);

    const uuid = await blkid(device, 'UUID');
    expect(await blkid(device, 'TYPE')).toBe('xfs');
    expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
    // The UUID the plan chose is the one mkfs wrote.
    expect(first[0]).toMatchObject({ kind: 'command', argv: ['mkfs.xfs', '-q', '-m', `uuid=${uuid}`, device] });
    expect(await ws.fstabLines()).toEqual(['# /etc/fstab', 'UUID=1234 / ext4 defaults 0 1', `UUID=${uuid} ${MP} xfs defaults 0 1`]);
    expect((await ws.host.stat('/etc/fstab'))?.mode).toBe(0o644);
    expect(await ws.mountedAt(MP)).toBe(`${device} xfs`);

    // Second run: no mkfs, no mount, no fstab change.
    const second = await ws.plan(storage);
    expect(second).toEqual([]);
    expect((await ws.apply(second)).changed).toEqual([]);
    expect((await ws.fstabLines()).filter((line) => line.includes(uuid))).toHaveLength(1);

    // After an unmount (a reboot whose mount failed, say): only the mount again, never mkfs.
    await fs.writeFile(path.join(ws.host.hostPath(MP), 'data'), 'kept');
    await sh('umount', [ws.host.hostPath(MP)]);
    const third = await ws.plan(storage);
    expect(third).toEqual([{ kind: 'mount', device, mountpoint: MP, fstype: 'xfs' }]);
    await ws.apply(third);
    expect(await fs.readFile(path.join(ws.host.hostPath(MP), 'data'), 'utf8')).toBe('kept');
    expect((await ws.fstabLines()).filter((line) => line.includes(MP))).toHaveLength(1);
  });

  test('an empty device with ONEAPP_STORAGE_FILESYSTEM=ext4 gets ext4 with the planned UUID; no fstab yet is fine', async () => {
    const ws = await workspace();
    const device = await ws.loop('ext4', '64M');
    const storage: Config['storage'] = { device, filesystem: 'ext4', mountpoint: MP };
    await ws.apply(await ws.plan(storage));
    const uuid = await blkid(device, 'UUID');
    expect(await blkid(device, 'TYPE')).toBe('ext4');
    expect(await ws.fstabLines()).toEqual([`UUID=${uuid} ${MP} ext4 defaults 0 1`]);
    expect(await ws.mountedAt(MP)).toBe(`${device} ext4`);
    expect(await ws.plan(storage)).toEqual([]);
  });

  test('a device that already holds ext4 is NOT reformatted, even when xfs is configured', async () => {
    const ws = await workspace();
    const device = await ws.loop('used', '64M');
    await sh('mkfs.ext4', ['-q', device]);
    const uuid = await blkid(device, 'UUID');
    const scratch = path.join(ws.dir, 'scratch');
    await fs.mkdir(scratch);
    await sh('mount', [device, scratch]);
    await fs.writeFile(path.join(scratch, 'marker'), 'precious');
    await sh('umount', [scratch]);

    const storage: Config['storage'] = { device, filesystem: 'xfs', mountpoint: MP };
    const { actions, warnings } = planStorageDiskWithWarnings(storage, await gatherDiskFacts(ws.host, storage));
    expect(actions.some((action) => action.kind === 'command')).toBe(false);
    expect(warnings).toEqual([expect.stringContaining('already holds a ext4 filesystem')]);
    await ws.apply(actions);

    expect(await blkid(device, 'UUID')).toBe(uuid);
    expect(await blkid(device, 'TYPE')).toBe('ext4');
    expect(await ws.mountedAt(MP)).toBe(`${device} ext4`);
    expect(await fs.readFile(path.join(ws.host.hostPath(MP), 'marker'), 'utf8')).toBe('precious');
    expect(await ws.fstabLines()).toEqual([`UUID=${uuid} ${MP} ext4 defaults 0 1`]);
  });

  test('a missing device or a regular file is a RuntimeProblem, and nothing is changed', async () => {
    const ws = await workspace();
    const image = path.join(ws.dir, 'plain.img');
    await sh('truncate', ['-s', '1M', image]);
    for (const [device, code] of [
      ['/dev/loop-does-not-exist', 'ONEKE_STORAGE_DEVICE_MISSING'],
      [image, 'ONEKE_STORAGE_DEVICE_NOT_BLOCK'],
    ] as const) {
      const plan = ws.plan({ device, filesystem: 'xfs', mountpoint: MP });
      await expect(plan).rejects.toBeInstanceOf(RuntimeProblem);
      await expect(plan).rejects.toMatchObject({ code, message: expect.stringContaining(`ONEAPP_STORAGE_DEVICE=${device}`) });
    }
    expect(await ws.host.readFile('/etc/fstab')).toBeUndefined();
    expect(await ws.host.stat(MP)).toBeUndefined();
  });

  test('a mount point taken by something else is a RuntimeProblem; the empty device stays unformatted', async () => {
    const ws = await workspace();
    const device = await ws.loop('idle', '64M');
    await fs.mkdir(ws.host.hostPath(MP), { recursive: true });
    await sh('mount', ['-t', 'tmpfs', 'oneke-test-tmpfs', ws.host.hostPath(MP)]);
    const plan = ws.plan({ device, filesystem: 'xfs', mountpoint: MP });
    await expect(plan).rejects.toMatchObject({ code: 'ONEKE_STORAGE_MOUNTPOINT_BUSY', message: expect.stringContaining('oneke-test-tmpfs') });
    expect(await blkid(device, 'TYPE')).toBe('');
  });
});
