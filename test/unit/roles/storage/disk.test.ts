import { describe, expect, test } from 'vitest';
import type { ExecResult, Host } from '../../../../src/host/host.ts';
import { gatherDiskFacts, parseBlkidExport, parseFindmntRaw } from '../../../../src/roles/storage/disk/index.ts';

const STORAGE = { device: '/dev/vdb', filesystem: 'xfs', mountpoint: '/var/lib/longhorn' } as const;
const ROOT = '/tmp/vm';
const MP_HOST = `${ROOT}/var/lib/longhorn`;

type Answers = Record<string, Partial<ExecResult>>;

/** A host whose exec answers from a table keyed by the command line; files from a record. */
function fakeHost(answers: Answers, files: Record<string, string> = {}): Host & { calls: string[] } {
  const calls: string[] = [];
  const host = {
    root: ROOT,
    calls,
    hostPath: (vmPath: string) => `${ROOT}${vmPath === '/' ? '/' : vmPath}`,
    readFile: async (vmPath: string) => files[vmPath],
    exec: async (file: string, args: readonly string[]) => {
      const line = [file, ...args].join(' ');
      calls.push(line);
      const answer = answers[line] ?? { exitCode: 1 };
      return { exitCode: 0, stdout: '', stderr: '', ...answer };
    },
  };
  return host as unknown as Host & { calls: string[] };
}

const STAT = 'stat -L --format %F|%Hr:%Lr /dev/vdb';
const REALPATH = 'realpath -e /dev/vdb';
const BLKID = 'blkid -p -o export /dev/vdb';
const ON_MP = `findmnt --noheadings --raw --output MAJ:MIN,SOURCE,TARGET --mountpoint ${MP_HOST}`;
const ALL = 'findmnt --noheadings --raw --output MAJ:MIN,SOURCE,TARGET';

const block: Answers = { [STAT]: { stdout: 'block special file|254:16\n' }, [REALPATH]: { stdout: '/dev/vdb\n' } };
const xfs = { stdout: 'DEVNAME=/dev/vdb\nUUID=0B6F-AA\nBLOCK_SIZE=512\nTYPE=xfs\nUSAGE=filesystem\n' };
const mounts = (text: string): Partial<ExecResult> => ({ stdout: text });

describe('gatherDiskFacts', () => {
  test('no device configured: undefined, and nothing is looked at', async () => {
    const host = fakeHost({});
    expect(await gatherDiskFacts(host, { ...STORAGE, device: undefined })).toBeUndefined();
    expect(host.calls).toEqual([]);
  });

  test('missing device', async () => {
    const host = fakeHost({ [STAT]: { exitCode: 1, stderr: 'No such file' } });
    expect(await gatherDiskFacts(host, STORAGE)).toEqual({ device: '/dev/vdb', exists: false, isBlockDevice: false, fstab: '' });
  });

  test('a regular file is not a block device and is not probed', async () => {
    const host = fakeHost({ [STAT]: { stdout: 'regular file|0:0\n' } });
    expect(await gatherDiskFacts(host, STORAGE)).toEqual({ device: '/dev/vdb', exists: true, isBlockDevice: false, fstab: '' });
    expect(host.calls.some((call) => call.startsWith('blkid'))).toBe(false);
  });

  test('empty device: a fresh UUID is drawn; fstab read under the root', async () => {
    const host = fakeHost({ ...block, [BLKID]: { exitCode: 2 }, [ALL]: mounts('254:1 /dev/vda1 /\n') }, { '/etc/fstab': 'x\n' });
    const facts = await gatherDiskFacts(host, STORAGE);
    expect(facts).toEqual({ device: '/dev/vdb', exists: true, isBlockDevice: true, fstab: 'x\n', newUuid: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const again = await gatherDiskFacts(host, STORAGE);
    expect(again?.newUuid).not.toBe(facts?.newUuid);
  });

  test('filesystem, mounted on the mount point (matched by device number)', async () => {
    const host = fakeHost({ ...block, [BLKID]: xfs, [ON_MP]: mounts(`254:16 /dev/disk/by-id/x ${MP_HOST}\n`) });
    expect(await gatherDiskFacts(host, STORAGE)).toEqual({
      device: '/dev/vdb',
      exists: true,
      isBlockDevice: true,
      fstab: '',
      filesystem: { type: 'xfs', uuid: '0B6F-AA' },
      mountedAt: '/var/lib/longhorn',
    });
  });

  test('mounted on the mount point, matched by source name (anonymous device number)', async () => {
    const host = fakeHost({ ...block, [BLKID]: { stdout: 'UUID=u\nTYPE=btrfs\nUSAGE=filesystem\n' }, [ON_MP]: mounts(`0:55 /dev/vdb ${MP_HOST}\n`) });
    expect((await gatherDiskFacts(host, STORAGE))?.mountedAt).toBe('/var/lib/longhorn');
  });

  test('something else on the mount point (the topmost mount counts)', async () => {
    const host = fakeHost({ ...block, [BLKID]: xfs, [ON_MP]: mounts(`254:16 /dev/vdb ${MP_HOST}\n0:40 tmpfs ${MP_HOST}\n`), [ALL]: mounts('') });
    expect((await gatherDiskFacts(host, STORAGE))?.mountpointBusy).toEqual({ source: 'tmpfs' });
  });

  test('device mounted elsewhere: a VM path under the root, a machine path outside it', async () => {
    const inside = fakeHost({ ...block, [BLKID]: xfs, [ALL]: mounts(`254:1 /dev/vda1 /\n254:16 /dev/vdb ${ROOT}/mnt/my\\x20disk\n`) });
    expect((await gatherDiskFacts(inside, STORAGE))?.mountedAt).toBe('/mnt/my disk');
    const outside = fakeHost({ ...block, [BLKID]: xfs, [ALL]: mounts('254:16 /dev/vdb[/sub] /srv\n') });
    expect((await gatherDiskFacts(outside, STORAGE))?.mountedAt).toBe('/srv');
  });

  test.each([
    ['a partition table', { stdout: 'DEVNAME=/dev/vdb\nPTUUID=1\nPTTYPE=gpt\n' }, 'partition table gpt'],
    ['an LVM member', { stdout: 'UUID=x\nTYPE=LVM2_member\nUSAGE=raid\n' }, 'LVM2_member (raid)'],
    ['swap', { stdout: 'UUID=x\nTYPE=swap\nUSAGE=other\n' }, 'swap (other)'],
    ['several signatures', { exitCode: 8 }, 'several signatures at once (blkid: ambiguous probing result)'],
    ['a blkid failure', { exitCode: 4, stderr: 'bad usage' }, 'unknown content (blkid exited 4: bad usage)'],
  ])('%s is other content, never an empty device', async (_, blkid, otherContent) => {
    const host = fakeHost({ ...block, [BLKID]: blkid, [ALL]: mounts('') });
    const facts = await gatherDiskFacts(host, STORAGE);
    expect(facts?.otherContent).toBe(otherContent);
    expect(facts?.filesystem).toBeUndefined();
    expect(facts?.newUuid).toBeUndefined();
  });
});

describe('parsers', () => {
  test('findmnt raw output, with escapes', () => {
    expect(parseFindmntRaw('7:3 /dev/loop3 /tmp/a\\x20b\n\n')).toEqual([{ devno: '7:3', source: '/dev/loop3', target: '/tmp/a b' }]);
  });
  test('blkid export output', () => {
    expect(parseBlkidExport('DEVNAME=/dev/loop0\nUUID=ab=c\nTYPE=xfs\n')).toEqual({ DEVNAME: '/dev/loop0', UUID: 'ab=c', TYPE: 'xfs' });
  });
});
