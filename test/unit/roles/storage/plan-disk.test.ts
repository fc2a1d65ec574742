import { describe, expect, test } from 'vitest';
import type { Config } from '../../../../src/config/index.ts';
import { RuntimeProblem } from '../../../../src/errors.ts';
import type { Action } from '../../../../src/plan/plan.ts';
import { parseFstab, planStorageDisk, planStorageDiskWithWarnings, type DiskFacts } from '../../../../src/roles/storage/disk/index.ts';

const DEVICE = '/dev/vdb';
const MP = '/var/lib/longhorn';
const UUID = '0b6f1f8e-3c1a-4b7e-9a55-2f0d7f1c9e11';
const NEW_UUID = '5d1e2c3b-4a59-4687-b7c8-d9e0f1a2b3c4';
const FSTAB = 'UUID=aaaa / ext4 errors=remount-ro 0 1\n';

function storage(over: Partial<Config['storage']> = {}): Config['storage'] {
  return { device: DEVICE, filesystem: 'xfs', mountpoint: MP, ...over };
}

function facts(over: Partial<DiskFacts> = {}): DiskFacts {
  return { device: DEVICE, exists: true, isBlockDevice: true, fstab: FSTAB, ...over };
}

const mount = (fstype: string): Action => ({ kind: 'mount', device: DEVICE, mountpoint: MP, fstype });
const fstab = (line: string, before = FSTAB): Action => ({ kind: 'file', path: '/etc/fstab', mode: 0o644, content: `${before}${line}\n` });

interface Case {
  name: string;
  storage?: Partial<Config['storage']>;
  facts: DiskFacts | undefined;
  actions: Action[];
  warnings?: RegExp[];
}

const cases: Case[] = [
  { name: 'no device configured', storage: { device: undefined }, facts: undefined, actions: [] },
  {
    name: 'empty device, xfs: mkfs with the drawn UUID, mount, then the fstab line',
    facts: facts({ newUuid: NEW_UUID }),
    actions: [
      { kind: 'command', argv: ['mkfs.xfs', '-q', '-m', `uuid=${NEW_UUID}`, DEVICE], why: `${DEVICE} holds no filesystem: create xfs for Longhorn` },
      mount('xfs'),
      fstab(`UUID=${NEW_UUID} ${MP} xfs defaults 0 1`),
    ],
  },
  {
    name: 'empty device, ext4',
    storage: { filesystem: 'ext4' },
    facts: facts({ newUuid: NEW_UUID }),
    actions: [
      { kind: 'command', argv: ['mkfs.ext4', '-q', '-U', NEW_UUID, DEVICE], why: `${DEVICE} holds no filesystem: create ext4 for Longhorn` },
      mount('ext4'),
      fstab(`UUID=${NEW_UUID} ${MP} ext4 defaults 0 1`),
    ],
  },
  {
    name: 'empty device and no /etc/fstab yet',
    facts: facts({ newUuid: NEW_UUID, fstab: '' }),
    actions: [
      { kind: 'command', argv: ['mkfs.xfs', '-q', '-m', `uuid=${NEW_UUID}`, DEVICE], why: `${DEVICE} holds no filesystem: create xfs for Longhorn` },
      mount('xfs'),
      fstab(`UUID=${NEW_UUID} ${MP} xfs defaults 0 1`, ''),
    ],
  },
  {
    name: 'fstab without a final newline gets one before the line',
    facts: facts({ filesystem: { type: 'xfs', uuid: UUID }, fstab: 'UUID=aaaa / ext4 defaults 0 1' }),
    actions: [mount('xfs'), fstab(`UUID=${UUID} ${MP} xfs defaults 0 1`, 'UUID=aaaa / ext4 defaults 0 1\n')],
  },
  {
    name: 'formatted device of the configured type: never mkfs',
    facts: facts({ filesystem: { type: 'xfs', uuid: UUID } }),
    actions: [mount('xfs'), fstab(`UUID=${UUID} ${MP} xfs defaults 0 1`)],
  },
  {
    name: 'formatted device of another type: kept, mounted as what it is, with a warning',
    facts: facts({ filesystem: { type: 'ext4', uuid: UUID } }),
    actions: [mount('ext4'), fstab(`UUID=${UUID} ${MP} ext4 defaults 0 1`)],
    warnings: [/already holds a ext4 filesystem; it is kept and mounted as ext4 \(ONEAPP_STORAGE_FILESYSTEM=xfs/],
  },
  {
    name: 'a newUuid given although the device holds a filesystem is ignored',
    facts: facts({ filesystem: { type: 'xfs', uuid: UUID }, newUuid: NEW_UUID }),
    actions: [mount('xfs'), fstab(`UUID=${UUID} ${MP} xfs defaults 0 1`)],
  },
  {
    name: 'fstab already has the line: only the mount',
    facts: facts({ filesystem: { type: 'xfs', uuid: UUID }, fstab: `${FSTAB}UUID=${UUID} ${MP} xfs defaults 0 1\n` }),
    actions: [mount('xfs')],
  },
  {
    name: 'fstab names the UUID quoted and in capitals, with a trailing slash: recognised',
    facts: facts({ filesystem: { type: 'xfs', uuid: UUID }, fstab: `${FSTAB}UUID="${UUID.toUpperCase()}"\t${MP}/  xfs  defaults,nofail 0 2\n` }),
    actions: [mount('xfs')],
  },
  {
    name: 'fstab has a line for the mount point by device path: left alone, no second line',
    facts: facts({ filesystem: { type: 'xfs', uuid: UUID }, fstab: `${FSTAB}${DEVICE} ${MP} xfs defaults 0 0\n` }),
    actions: [mount('xfs')],
  },
  {
    name: 'fstab has another disk at the mount point: left alone, with a warning',
    facts: facts({ filesystem: { type: 'xfs', uuid: UUID }, fstab: `${FSTAB}UUID=ffff ${MP} xfs defaults 0 1\n` }),
    actions: [mount('xfs')],
    warnings: [/mounts UUID=ffff at \/var\/lib\/longhorn, not UUID=0b6f/],
  },
  {
    name: 'fstab mounts the UUID elsewhere: left alone, with a warning',
    facts: facts({ filesystem: { type: 'xfs', uuid: UUID }, fstab: `${FSTAB}UUID=${UUID} /data xfs defaults 0 1\n` }),
    actions: [mount('xfs')],
    warnings: [/mounts UUID=0b6f.* at \/data, not at \/var\/lib\/longhorn/],
  },
  {
    name: 'a commented-out line does not count',
    facts: facts({ filesystem: { type: 'xfs', uuid: UUID }, fstab: `${FSTAB}# UUID=${UUID} ${MP} xfs defaults 0 1\n` }),
    actions: [mount('xfs'), fstab(`UUID=${UUID} ${MP} xfs defaults 0 1`, `${FSTAB}# UUID=${UUID} ${MP} xfs defaults 0 1\n`)],
  },
  {
    name: 'device already mounted at the mount point: only the fstab line',
    facts: facts({ filesystem: { type: 'xfs', uuid: UUID }, mountedAt: MP }),
    actions: [fstab(`UUID=${UUID} ${MP} xfs defaults 0 1`)],
  },
  {
    name: 'mounted and in fstab: nothing to do (the state after a first run)',
    facts: facts({ filesystem: { type: 'xfs', uuid: UUID }, mountedAt: MP, fstab: `${FSTAB}UUID=${UUID} ${MP} xfs defaults 0 1\n` }),
    actions: [],
  },
  {
    name: 'a filesystem without a UUID: fstab names the device, with a warning',
    facts: facts({ filesystem: { type: 'xfs', uuid: '' } }),
    actions: [mount('xfs'), fstab(`${DEVICE} ${MP} xfs defaults 0 1`)],
    warnings: [/has no UUID/],
  },
  {
    name: 'a custom mount point',
    storage: { mountpoint: '/srv/longhorn' },
    facts: facts({ filesystem: { type: 'xfs', uuid: UUID } }),
    actions: [{ kind: 'mount', device: DEVICE, mountpoint: '/srv/longhorn', fstype: 'xfs' }, fstab(`UUID=${UUID} /srv/longhorn xfs defaults 0 1`)],
  },
];

describe('planStorageDisk', () => {
  test.each(cases)('$name', ({ storage: over, facts: given, actions, warnings }) => {
    const result = planStorageDiskWithWarnings(storage(over), given);
    expect(result.actions).toEqual(actions);
    expect(planStorageDisk(storage(over), given)).toEqual(actions);
    expect(result.warnings).toHaveLength(warnings?.length ?? 0);
    for (const [index, pattern] of (warnings ?? []).entries()) expect(result.warnings[index]).toMatch(pattern);
  });

  test('no device configured gives nothing even if facts were gathered', () => {
    expect(planStorageDisk(storage({ device: undefined }), facts({ exists: false }))).toEqual([]);
  });

  const failures: { name: string; facts: DiskFacts; code: string; message: RegExp; hint: RegExp }[] = [
    {
      name: 'missing device',
      facts: facts({ exists: false, isBlockDevice: false }),
      code: 'ONEKE_STORAGE_DEVICE_MISSING',
      message: /ONEAPP_STORAGE_DEVICE=\/dev\/vdb: the device does not exist/,
      hint: /attach the disk.*ONEAPP_STORAGE_DEVICE/,
    },
    {
      name: 'not a block device',
      facts: facts({ isBlockDevice: false }),
      code: 'ONEKE_STORAGE_DEVICE_NOT_BLOCK',
      message: /ONEAPP_STORAGE_DEVICE=\/dev\/vdb: exists but is not a block device/,
      hint: /attach the disk/,
    },
    {
      name: 'mount point busy with something else',
      facts: facts({ filesystem: { type: 'xfs', uuid: UUID }, mountpointBusy: { source: '/dev/vdc' } }),
      code: 'ONEKE_STORAGE_MOUNTPOINT_BUSY',
      message: /ONEAPP_STORAGE_MOUNTPOINT=\/var\/lib\/longhorn: \/dev\/vdc is already mounted there, not \/dev\/vdb/,
      hint: /unmount it/,
    },
    {
      name: 'mount point busy, device empty: still no mkfs',
      facts: facts({ newUuid: NEW_UUID, mountpointBusy: { source: 'tmpfs' } }),
      code: 'ONEKE_STORAGE_MOUNTPOINT_BUSY',
      message: /tmpfs is already mounted there/,
      hint: /ONEAPP_STORAGE_MOUNTPOINT/,
    },
    {
      name: 'device mounted somewhere else (the root disk, say)',
      facts: facts({ filesystem: { type: 'ext4', uuid: UUID }, mountedAt: '/' }),
      code: 'ONEKE_STORAGE_DEVICE_IN_USE',
      message: /the device is mounted at \/, not at \/var\/lib\/longhorn/,
      hint: /unmount it/,
    },
    {
      name: 'a partition table, not a filesystem',
      facts: facts({ otherContent: 'partition table gpt' }),
      code: 'ONEKE_STORAGE_DEVICE_NOT_FILESYSTEM',
      message: /holds partition table gpt, not a filesystem; it is neither formatted nor mounted/,
      hint: /partition/,
    },
    {
      name: 'an LVM member',
      facts: facts({ otherContent: 'LVM2_member (raid)' }),
      code: 'ONEKE_STORAGE_DEVICE_NOT_FILESYSTEM',
      message: /holds LVM2_member \(raid\)/,
      hint: /wipefs/,
    },
  ];

  test.each(failures)('$name → RuntimeProblem $code', ({ facts: given, code, message, hint }) => {
    let caught: unknown;
    try {
      planStorageDisk(storage(), given);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RuntimeProblem);
    const problem = caught as RuntimeProblem;
    expect(problem.code).toBe(code);
    expect(problem.message).toMatch(message);
    expect(problem.hint).toMatch(hint);
  });

  test('an empty device without a drawn UUID is a bug, not a guess', () => {
    expect(() => planStorageDisk(storage(), facts())).toThrow(/newUuid/);
  });

  test('idempotent: applying the fstab action and planning again adds nothing', () => {
    const first = planStorageDisk(storage(), facts({ newUuid: NEW_UUID }));
    const written = first.find((action) => action.kind === 'file');
    if (written?.kind !== 'file') throw new Error('expected an fstab action');
    const after = facts({ filesystem: { type: 'xfs', uuid: NEW_UUID }, mountedAt: MP, fstab: written.content });
    expect(planStorageDisk(storage(), after)).toEqual([]);
    // Even unmounted (after a reboot without the line taking effect), only the mount comes back.
    expect(planStorageDisk(storage(), { ...after, mountedAt: undefined })).toEqual([mount('xfs')]);
  });
});

describe('parseFstab', () => {
  test('skips comments and blank lines, decodes octal escapes, trims trailing slashes', () => {
    expect(parseFstab('# c\n\n  UUID=x /a\\040b/ xfs defaults 0 1\nproc /proc proc defaults 0 0\n')).toEqual([
      { spec: 'UUID=x', mountpoint: '/a b', fstype: 'xfs' },
      { spec: 'proc', mountpoint: '/proc', fstype: 'proc' },
    ]);
  });
});
