import { RuntimeProblem } from '../errors.ts';

// File system failures become one line an operator can act on, never a stack trace: a full or
// read-only disk, a path that is not a folder, too long a name are facts about the machine.

/** The few words that say what went wrong with a path, from a Node file system error. */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'ENOTDIR':
      return 'a component of the path is not a directory';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'ENAMETOOLONG':
      return 'the path is too long';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EROFS':
      return 'read-only file system';
    case 'EEXIST':
      return 'already exists';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files';
    case 'EIO':
      return 'input/output error';
    default:
      return `cannot access: ${code ?? (error instanceof Error ? error.message : String(error))}`;
  }
}

/** Whether `error` is a Node system error (it has an errno code such as `ENOSPC`). */
export function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

/** A failed file operation on a VM path, as a runtime failure naming the path and, under a root, the root. */
export function fileProblem(action: string, vmPath: string, root: string, error: unknown): RuntimeProblem {
  const where = root === '/' || root === '' ? vmPath : `${vmPath} (under ${root})`;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return new RuntimeProblem('ONEKE_FILESYSTEM', `cannot ${action} ${where}: ${describeFsError(error)}${code ? ` (${code})` : ''}`);
}
