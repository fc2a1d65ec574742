// The dedicated Longhorn disk of storage nodes: gather (disk.ts) and plan (plan-disk.ts).

export { gatherDiskFacts, parseBlkidExport, parseFindmntRaw, type DiskFacts } from './disk.ts';
export {
  FSTAB,
  fstabLine,
  mkfsArgv,
  parseFstab,
  planStorageDisk,
  planStorageDiskWithWarnings,
  type FstabEntry,
  type StorageDiskPlan,
} from './plan-disk.ts';
