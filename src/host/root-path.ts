import { lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { InternalError } from '../errors.ts';

// Every path the agent touches is an absolute path of the VM (`/etc/rancher/rke2/config.yaml`),
// taken under `--root` so that tests and the simulation can run many agents on one machine.
//
// Containment is by resolution, not by text: under a root other than `/`, each component is looked
// at in turn and a symbolic link is followed the way the VM itself would follow it, with the root as
// its `/` (like chroot): an absolute target (`var/run -> /run`, Debian's layout) starts again at the
// root, and `..` never climbs above it. What comes back is a path on this machine that has no link
// leading out of the root. Under `/` the kernel resolves paths itself, as on a real VM.

/** Links followed in one resolution before giving up, as the kernel does (ELOOP). */
const MAX_LINKS = 40;

function fsError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code, syscall: 'resolve' });
}

/**
 * Resolves a VM path under `root`, following links inside the root as the VM would.
 * With `followLast: false` a link at the last component is left as it is (for lstat, readlink,
 * remove, and for replacing the link itself).
 * @throws a Node-style error (`ENOTDIR`, `ELOOP`, `EACCES`, …) when a component cannot be resolved;
 *   InternalError for a relative VM path (a bug, not input).
 */
export function underRoot(root: string, vmPath: string, options: { followLast?: boolean } = {}): string {
  if (!path.posix.isAbsolute(vmPath)) throw new InternalError(`expected an absolute VM path, got ${JSON.stringify(vmPath)}`);
  if (root === '/' || root === '') return path.posix.normalize(vmPath);
  const base = path.resolve(root);
  const followLast = options.followLast ?? true;
  const done: string[] = [];
  const todo = vmPath.split('/').filter((part) => part !== '' && part !== '.');
  let links = 0;
  // Components from this depth on do not exist yet: they are taken as written (mkdir creates them).
  let missingFrom = Infinity;
  while (todo.length > 0) {
    const part = todo.shift() as string;
    if (part === '.') continue;
    if (part === '..') {
      done.pop(); // at the root, `..` is the root itself
      if (done.length < missingFrom) missingFrom = Infinity;
      continue;
    }
    done.push(part);
    if (done.length > missingFrom) continue;
    const last = todo.length === 0;
    if (last && !followLast) break;
    const current = path.join(base, ...done);
    let info;
    try {
      info = lstatSync(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        missingFrom = done.length;
        continue;
      }
      throw error;
    }
    if (info.isSymbolicLink()) {
      links += 1;
      if (links > MAX_LINKS) throw fsError('ELOOP', `too many levels of symbolic links at ${current}`);
      const target = readlinkSync(current);
      done.pop();
      if (target.startsWith('/')) done.length = 0;
      todo.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
    } else if (!last && !info.isDirectory()) {
      throw fsError('ENOTDIR', `${current} is not a directory`);
    }
  }
  return path.join(base, ...done);
}
