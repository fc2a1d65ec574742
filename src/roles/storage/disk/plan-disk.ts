// The dedicated Longhorn disk, decided from the facts alone (pure): format it only when it holds
// nothing, mount it, and record it in /etc/fstab. Contract §6 "Storage disk".
//
// The UUID: a fresh device gets the UUID that gatherDiskFacts drew (`newUuid`), passed to mkfs
// (`mkfs.xfs -m uuid=…`, `mkfs.ext4 -U …`), so the fstab line is known when the plan is made and the
// printed plan shows exactly what will be written.
//
// Order: mkfs, mount, then fstab. The fstab line is written only once the mount worked, so a
// filesystem that does not mount never reaches /etc/fstab (where it would stop the next boot). If
// the run stops in between, the next run finds the filesystem and the mount and adds only the line.

import type { Config } from '../../../config/index.ts';
import { InternalError, RuntimeProblem } from '../../../errors.ts';
import type { Action } from '../../../plan/plan.ts';
import type { DiskFacts } from './disk.ts';

export const FSTAB = '/etc/fstab';

export interface StorageDiskPlan {
  actions: Action[];
  /** Things the operator should know that do not stop the run (a filesystem of another type, …). */
  warnings: string[];
}

/** The mkfs command for an empty device, with the UUID chosen in advance. */
export function mkfsArgv(filesystem: Config['storage']['filesystem'], device: string, uuid: string): string[] {
  switch (filesystem) {
    case 'xfs':
      // No -f: mkfs.xfs itself refuses to overwrite a signature it finds, a second guard.
      return ['mkfs.xfs', '-q', '-m', `uuid=${uuid}`, device];
    case 'ext4':
      return ['mkfs.ext4', '-q', '-U', uuid, device];
  }
}

/** fstab fields escape space, tab, newline and backslash as octal (`\040`). */
function unescapeFstab(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

function normalMountpoint(value: string): string {
  return value.length > 1 ? value.replace(/\/+$/, '') : value;
}

/** The UUID an fstab spec names (`UUID=…`, `UUID="…"`, `/dev/disk/by-uuid/…`), lower case. */
function specUuid(spec: string): string | undefined {
  const match = /^UUID=["']?([^"']+)["']?$/i.exec(spec) ?? /^\/dev\/disk\/by-uuid\/(.+)$/.exec(spec);
  return match?.[1]?.toLowerCase();
}

export interface FstabEntry {
  spec: string;
  mountpoint: string;
  fstype: string;
}

/** The entries of an fstab text (comments and blank lines skipped, escapes decoded). */
export function parseFstab(text: string): FstabEntry[] {
  const entries: FstabEntry[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const [spec, mountpoint, fstype] = trimmed.split(/\s+/).map(unescapeFstab);
    if (spec && mountpoint) entries.push({ spec, mountpoint: normalMountpoint(mountpoint), fstype: fstype ?? '' });
  }
  return entries;
}

/** The one line the agent adds (the mount point has no spaces: the config parser ensures it). */
export function fstabLine(spec: string, mountpoint: string, fstype: string): string {
  return `${spec} ${mountpoint} ${fstype} defaults 0 1`;
}

/** Actions and warnings; throws RuntimeProblem when the disk cannot be used safely. */
export function planStorageDiskWithWarnings(storage: Config['storage'], facts: DiskFacts | undefined): StorageDiskPlan {
  const warnings: string[] = [];
  if (storage.device === undefined || facts === undefined) return { actions: [], warnings };
  const device = facts.device;
  const mountpoint = storage.mountpoint;
  const variable = `ONEAPP_STORAGE_DEVICE=${device}`;

  if (!facts.exists) {
    throw new RuntimeProblem('ONEKE_STORAGE_DEVICE_MISSING', `${variable}: the device does not exist; refusing to put Longhorn's data on the root disk instead`);
  }
  if (!facts.isBlockDevice) {
    throw new RuntimeProblem('ONEKE_STORAGE_DEVICE_NOT_BLOCK', `${variable}: exists but is not a block device`);
  }
  if (facts.mountpointBusy) {
    throw new RuntimeProblem('ONEKE_STORAGE_MOUNTPOINT_BUSY', `ONEAPP_STORAGE_MOUNTPOINT=${mountpoint}: ${facts.mountpointBusy.source} is already mounted there, not ${device}`);
  }
  if (facts.mountedAt !== undefined && facts.mountedAt !== mountpoint) {
    throw new RuntimeProblem('ONEKE_STORAGE_DEVICE_IN_USE', `${variable}: the device is mounted at ${facts.mountedAt}, not at ${mountpoint}`);
  }
  if (facts.mountpointHasData === true) {
    throw new RuntimeProblem('ONEKE_STORAGE_MOUNTPOINT_NOT_EMPTY', `ONEAPP_STORAGE_MOUNTPOINT=${mountpoint}: the folder already holds files; mounting ${device} over it would hide them`);
  }
  if (!facts.filesystem && facts.otherContent !== undefined) {
    throw new RuntimeProblem('ONEKE_STORAGE_DEVICE_NOT_FILESYSTEM', `${variable}: the device holds ${facts.otherContent}, not a filesystem; it is neither formatted nor mounted`);
  }

  const actions: Action[] = [];
  let fstype: string;
  let uuid: string;
  if (facts.filesystem) {
    // Never format a device that holds a filesystem, whatever its type.
    fstype = facts.filesystem.type;
    uuid = facts.filesystem.uuid.toLowerCase();
    if (fstype !== storage.filesystem) {
      warnings.push(`${variable} already holds a ${fstype} filesystem; it is kept and mounted as ${fstype} (ONEAPP_STORAGE_FILESYSTEM=${storage.filesystem} applies only to an empty device)`);
    }
  } else {
    if (facts.newUuid === undefined) throw new InternalError('an empty storage device needs a UUID drawn by gatherDiskFacts (newUuid)');
    fstype = storage.filesystem;
    uuid = facts.newUuid.toLowerCase();
    actions.push({ kind: 'command', argv: mkfsArgv(storage.filesystem, device, uuid), why: `${device} holds no filesystem: create ${fstype} for Longhorn` });
  }

  if (facts.mountedAt !== mountpoint) actions.push({ kind: 'mount', device, mountpoint, fstype });

  const entries = parseFstab(facts.fstab);
  const forUuid = uuid === '' ? undefined : entries.find((entry) => specUuid(entry.spec) === uuid);
  const forMountpoint = entries.find((entry) => entry.mountpoint === mountpoint);
  if (forUuid && forUuid.mountpoint !== mountpoint) {
    warnings.push(`${FSTAB} mounts UUID=${uuid} at ${forUuid.mountpoint}, not at ${mountpoint}; that line is left as it is`);
  }
  if (forMountpoint && forMountpoint !== forUuid) {
    const names = [device, `UUID=${uuid}`];
    if (!names.includes(forMountpoint.spec)) {
      warnings.push(`${FSTAB} mounts ${forMountpoint.spec} at ${mountpoint}, not UUID=${uuid}; that line is left as it is`);
    }
  }
  if (!forUuid && !forMountpoint) {
    let spec = `UUID=${uuid}`;
    if (uuid === '') {
      spec = device;
      warnings.push(`the ${fstype} filesystem on ${device} has no UUID; ${FSTAB} names the device path instead`);
    }
    const current = facts.fstab;
    const separator = current === '' || current.endsWith('\n') ? '' : '\n';
    actions.push({ kind: 'file', path: FSTAB, mode: 0o644, content: `${current}${separator}${fstabLine(spec, mountpoint, fstype)}\n` });
  }
  return { actions, warnings };
}

/** The actions that prepare the dedicated disk; none when no device is configured. */
export function planStorageDisk(storage: Config['storage'], facts: DiskFacts | undefined): Action[] {
  return planStorageDiskWithWarnings(storage, facts).actions;
}
