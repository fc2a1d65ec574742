import path from 'node:path';
import { InternalError } from '../errors.ts';

// Every path the agent touches is an absolute path of the VM (`/etc/rancher/rke2/config.yaml`),
// taken under `--root` so that tests and the simulation can run many agents on one machine.

/** Resolves a VM path under `root`; refuses a path that would leave it (that is a bug, not input). */
export function underRoot(root: string, vmPath: string): string {
  if (!path.posix.isAbsolute(vmPath)) throw new InternalError(`expected an absolute VM path, got ${JSON.stringify(vmPath)}`);
  const normalised = path.posix.normalize(vmPath);
  if (root === '/' || root === '') return normalised;
  const resolved = path.join(root, normalised);
  const base = path.resolve(root);
  if (resolved !== base && !resolved.startsWith(base + path.sep)) {
    throw new InternalError(`path ${JSON.stringify(vmPath)} leaves the root ${JSON.stringify(root)}`);
  }
  return resolved;
}
