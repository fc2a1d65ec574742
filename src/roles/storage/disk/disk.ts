// The shell side of the dedicated Longhorn disk: looks at the machine (the device, what it holds,
// what is mounted where, /etc/fstab) and returns plain facts. Changes nothing; planStorageDisk
// (plan-disk.ts) decides from these facts.
//
// Device paths (/dev/vdb, /dev/loop3) are real machine paths; the mount point and /etc/fstab are VM
// paths, taken under the host's root.

import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Config } from '../../../config/index.ts';
import type { Host } from '../../../host/host.ts';

export interface DiskFacts {
  /** The configured device path, as given (ONEAPP_STORAGE_DEVICE). */
  device: string;
  exists: boolean;
  isBlockDevice: boolean;
  /** The filesystem on the device (blkid USAGE=filesystem); absent when blkid finds none. */
  filesystem?: { type: string; uuid: string };
  /**
   * Something on the device that is not a filesystem: a partition table (`partition table gpt`), an
   * LVM, RAID or LUKS member, swap, or several signatures at once. Such a device is neither formatted
   * nor mounted.
   */
  otherContent?: string;
  /**
   * Where the device is mounted, if anywhere: the configured mount point (a VM path) when it is mounted
   * there; otherwise another place, as a VM path when under the root, else as a machine path.
   */
  mountedAt?: string;
  /** Something else (not this device) is mounted on the mount point. */
  mountpointBusy?: { source: string };
  /**
   * The mount point is a folder that already holds files, and the device is not mounted there: a
   * mount would hide them. Absent when the folder is empty or missing.
   */
  mountpointHasData?: true;
  /** Current /etc/fstab text under the root, '' if absent. */
  fstab: string;
  /**
   * A fresh random UUID, given only when the device holds nothing: the plan formats the device with
   * exactly this UUID, so the fstab line is known in advance and the plan stays pure.
   */
  newUuid?: string;
}

/** One line of `findmnt --raw --output MAJ:MIN,SOURCE,TARGET`. */
interface MountEntry {
  devno: string;
  source: string;
  target: string;
}

/** findmnt --raw writes spaces and other unsafe bytes as `\xNN`. */
function unescapeRaw(text: string): string {
  return text.replace(/\\x([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

export function parseFindmntRaw(stdout: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of stdout.split('\n')) {
    const [devno, source, target] = line.trim().split(/\s+/);
    if (devno && source && target) entries.push({ devno, source: unescapeRaw(source), target: unescapeRaw(target) });
  }
  return entries;
}

/** `blkid -p -o export` lines (`KEY=value`) as a record. */
export function parseBlkidExport(stdout: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) fields[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return fields;
}

/** A machine path as the VM sees it when it lies under the root; else the machine path itself. */
function toVmPath(host: Host, machinePath: string): string {
  const base = path.resolve(host.hostPath('/'));
  if (base === '/') return machinePath;
  if (machinePath === base) return '/';
  return machinePath.startsWith(`${base}/`) ? machinePath.slice(base.length) : machinePath;
}

interface DeviceProbe {
  exists: boolean;
  isBlockDevice: boolean;
  /** `major:minor`, as findmnt prints MAJ:MIN. */
  devno?: string;
  /** Every name the device goes by: as configured, and with symbolic links resolved. */
  names: string[];
}

async function probeDevice(host: Host, device: string): Promise<DeviceProbe> {
  // -L follows symbolic links such as /dev/disk/by-id/…; %Hr:%Lr is the device number.
  const result = await host.exec('stat', ['-L', '--format', '%F|%Hr:%Lr', device]);
  if (result.exitCode !== 0) return { exists: false, isBlockDevice: false, names: [device] };
  const [kind, devno] = result.stdout.trim().split('|');
  if (kind !== 'block special file' || !devno) return { exists: true, isBlockDevice: false, names: [device] };
  const real = await host.exec('realpath', ['-e', device]);
  const names = real.exitCode === 0 && real.stdout.trim() !== '' ? [device, real.stdout.trim()] : [device];
  return { exists: true, isBlockDevice: true, devno, names };
}

/**
 * Whether a mount is of this device: by device number (xfs and ext4 report the block device's), or
 * by source name (filesystems such as btrfs report an anonymous device number). A bind mount's source
 * ends in `[/subdir]`.
 */
function isOfDevice(entry: MountEntry, probe: DeviceProbe): boolean {
  return entry.devno === probe.devno || probe.names.includes(entry.source.replace(/\[.*\]$/, ''));
}

/** What the device holds, straight from the device (`-p`: no blkid cache, which may be stale). */
async function probeContent(host: Host, device: string): Promise<Pick<DiskFacts, 'filesystem' | 'otherContent'>> {
  const result = await host.exec('blkid', ['-p', '-o', 'export', device]);
  if (result.exitCode === 2) return {}; // nothing found
  if (result.exitCode === 8) return { otherContent: 'several signatures at once (blkid: ambiguous probing result)' };
  if (result.exitCode !== 0) {
    // Not knowing is not "empty": never let an unreadable device be taken for a blank one.
    return { otherContent: `unknown content (blkid exited ${result.exitCode}: ${result.stderr.trim()})` };
  }
  const fields = parseBlkidExport(result.stdout);
  if (fields.TYPE && fields.USAGE === 'filesystem') return { filesystem: { type: fields.TYPE, uuid: fields.UUID ?? '' } };
  if (fields.TYPE) return { otherContent: `${fields.TYPE}${fields.USAGE ? ` (${fields.USAGE})` : ''}` };
  if (fields.PTTYPE) return { otherContent: `partition table ${fields.PTTYPE}` };
  return { otherContent: `unknown content (${result.stdout.trim().split('\n').join(', ')})` };
}

/**
 * The facts about the dedicated disk; undefined when no device is configured. A missing device is a
 * fact (exists: false), not an error here: the plan turns it into one.
 */
export async function gatherDiskFacts(host: Host, storage: Config['storage']): Promise<DiskFacts | undefined> {
  const device = storage.device;
  if (device === undefined) return undefined;
  const fstab = (await host.readFile('/etc/fstab')) ?? '';
  const probed = await probeDevice(host, device);
  const facts: DiskFacts = { device, exists: probed.exists, isBlockDevice: probed.isBlockDevice, fstab };

  // The mount point, whatever the device: the topmost mount on it (the last line) is what is seen there.
  const onMountpoint = await host.exec('findmnt', ['--noheadings', '--raw', '--output', 'MAJ:MIN,SOURCE,TARGET', '--mountpoint', host.hostPath(storage.mountpoint)]);
  const top = onMountpoint.exitCode === 0 ? parseFindmntRaw(onMountpoint.stdout).at(-1) : undefined;

  if (!probed.isBlockDevice || probed.devno === undefined) {
    if (top) facts.mountpointBusy = { source: top.source };
    return facts;
  }

  Object.assign(facts, await probeContent(host, device));
  if (!facts.filesystem && !facts.otherContent) facts.newUuid = randomUUID();

  // A mount belongs to the device when its device number matches; this also covers /dev/disk/by-*
  // names and the device-mapper names findmnt prints as SOURCE.
  if (top && isOfDevice(top, probed)) {
    facts.mountedAt = storage.mountpoint;
  } else {
    if (top) facts.mountpointBusy = { source: top.source };
    const all = await host.exec('findmnt', ['--noheadings', '--raw', '--output', 'MAJ:MIN,SOURCE,TARGET']);
    const elsewhere = all.exitCode === 0 ? parseFindmntRaw(all.stdout).find((entry) => isOfDevice(entry, probed)) : undefined;
    if (elsewhere) facts.mountedAt = toVmPath(host, elsewhere.target);
    if (!top && (await holdsFiles(host, storage.mountpoint))) facts.mountpointHasData = true;
  }
  return facts;
}

/** Whether a VM folder has any entry (a missing folder has none); one `find` that stops at the first. */
async function holdsFiles(host: Host, vmPath: string): Promise<boolean> {
  const result = await host.exec('find', [host.hostPath(vmPath), '-mindepth', '1', '-maxdepth', '1', '-print', '-quit']);
  return result.exitCode === 0 && result.stdout.trim() !== '';
}
