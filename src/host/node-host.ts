import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { CommandError, OnekeError } from '../errors.ts';
import os from 'node:os';
import type { Probe } from '../plan/plan.ts';
import { READ_LIMITS, readRegularFile, ReadRefused } from './bounded-read.ts';
import { fileProblem } from './fs-errors.ts';
import { assertHostChangesAllowed, changesHost, type HostChangePolicy } from './host-changes.ts';
import type { ExecOptions, ExecResult, FileInfo, Host, LocalInterface } from './host.ts';
import { probeHolds } from './probes.ts';
import { underRoot } from './root-path.ts';

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function masked(args: readonly string[], secrets: readonly string[] | undefined): string[] {
  if (!secrets || secrets.length === 0) return [...args];
  return args.map((arg) => secrets.reduce((text, secret) => (secret ? text.split(secret).join('***') : text), arg));
}

// Temp files of atomic writes are `.<name>.<12 hex>.tmp` beside their target (downloads use
// `.part`). A run killed with
// SIGKILL leaves its own behind; the first write into a folder removes those old enough that no
// live writer can still own them (a write takes milliseconds; another agent's in flight is young).
const TEMP_PATTERN = /^\..+\.[0-9a-f]{12}\.(tmp|part)$/;
const STALE_TEMP_MS = 5 * 60_000;

function tempNameFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Removes our own temp files in `dir` older than STALE_TEMP_MS; returns their names. Never throws. */
export async function removeStaleTemps(dir: string, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!TEMP_PATTERN.test(name)) continue;
    const file = path.join(dir, name);
    try {
      const info = await fs.lstat(file);
      if ((!info.isFile() && !info.isSymbolicLink()) || now - info.mtimeMs < STALE_TEMP_MS) continue;
      await fs.rm(file, { force: true });
      removed.push(name);
    } catch {
      // Gone already, or not ours to remove: leave it.
    }
  }
  return removed;
}

/** Writes `content` to `target` through a temp file in the same folder, so readers never see half a file. */
export async function writeFileAtomic(target: string, content: string, mode: number): Promise<void> {
  await fs.mkdir(path.dirname(target), { recursive: true });
  const temp = tempNameFor(target);
  // The mode is set at creation, so a secret is never readable by others, not even for a moment.
  // `wx` is O_EXCL: a link planted at the temp name is not followed.
  const handle = await fs.open(temp, 'wx', mode);
  try {
    await handle.writeFile(content);
    await handle.chmod(mode); // the umask may have narrowed the mode given to open()
    await handle.sync();
  } catch (error) {
    await handle.close();
    await fs.rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await fs.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  const dir = await fs.open(path.dirname(target), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

export interface NodeHostOptions {
  /** The systemctl program (a simulated one in the tests). */
  systemctl?: string;
  /** Whether sysctl, nft, ip, mount, systemctl… may run (the --root rule); asked once, on first need. Default: allowed. */
  hostChanges?: () => HostChangePolicy;
}

/**
 * The real host: files under `root`, real processes, real systemd. Every file operation resolves
 * its path inside the root (see root-path.ts) and fails with one line (RuntimeProblem) naming the
 * path, never with a raw Node error.
 */
export class NodeHost implements Host {
  readonly root: string;
  readonly #systemctl: string;
  readonly #hostChanges: () => HostChangePolicy;
  #policy: HostChangePolicy | undefined;
  readonly #swept = new Set<string>();

  constructor(root: string, options: NodeHostOptions = {}) {
    this.root = root;
    this.#systemctl = options.systemctl ?? 'systemctl';
    this.#hostChanges = options.hostChanges ?? (() => ({ allowed: true }));
  }

  hostPath(vmPath: string): string {
    return this.#resolve('resolve', vmPath);
  }

  /** Throws the --root rule's exit-2 error when host-level actions may not run here. */
  assertMayChangeHost(what: string): void {
    this.#policy ??= this.#hostChanges();
    assertHostChangesAllowed(this.#policy, what);
  }

  #resolve(action: string, vmPath: string, followLast = true): string {
    try {
      return underRoot(this.root, vmPath, { followLast });
    } catch (error) {
      throw this.#problem(action, vmPath, error);
    }
  }

  #problem(action: string, vmPath: string, error: unknown): Error {
    if (error instanceof OnekeError) return error;
    if (error instanceof ReadRefused) return fileProblem(action, vmPath, this.root, Object.assign(new Error(error.message), { code: error.code }));
    return fileProblem(action, vmPath, this.root, error);
  }

  /** Runs a file operation; its Node errors become one-line RuntimeProblems. */
  async #fs<T>(action: string, vmPath: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw this.#problem(action, vmPath, error);
    }
  }

  /** Removes stale temp files of killed runs, once per folder per process. */
  async #sweep(dir: string): Promise<void> {
    if (this.#swept.has(dir)) return;
    this.#swept.add(dir);
    await removeStaleTemps(dir);
  }

  async readFile(vmPath: string): Promise<string | undefined> {
    const file = this.#resolve('read', vmPath);
    try {
      return (await readRegularFile(file, READ_LIMITS.file, { noFollow: true })).toString('utf8');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw this.#problem('read', vmPath, error);
    }
  }

  async writeFile(vmPath: string, content: string, mode: number): Promise<void> {
    // A link at the last component is replaced by the file (the rename), never written through.
    const target = this.#resolve('write', vmPath, false);
    await this.#fs('write', vmPath, async () => {
      await this.#sweep(path.dirname(target));
      await writeFileAtomic(target, content, mode);
    });
  }

  async appendFile(vmPath: string, content: string, mode: number): Promise<void> {
    const target = this.#resolve('append to', vmPath);
    await this.#fs('append to', vmPath, async () => {
      await fs.mkdir(path.dirname(target), { recursive: true });
      // O_NOFOLLOW: a link put in place after the path was resolved is not followed out of the root.
      const handle = await fs.open(target, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, mode);
      try {
        await handle.appendFile(content);
      } finally {
        await handle.close();
      }
    });
  }

  async mkdir(vmPath: string, mode: number): Promise<void> {
    const target = this.#resolve('create', vmPath);
    await this.#fs('create', vmPath, async () => {
      await fs.mkdir(target, { recursive: true, mode });
      // Through a handle opened without following links: chmod never lands outside the root.
      const handle = await fs.open(target, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
      try {
        await handle.chmod(mode);
      } finally {
        await handle.close();
      }
    });
  }

  async symlink(vmPath: string, target: string): Promise<void> {
    // The link itself is replaced, never what an existing link points at.
    const link = this.#resolve('link', vmPath, false);
    await this.#fs('link', vmPath, async () => {
      await fs.mkdir(path.dirname(link), { recursive: true });
      await this.#sweep(path.dirname(link));
      const temp = tempNameFor(link);
      await fs.symlink(target, temp);
      try {
        await fs.rename(temp, link);
      } catch (error) {
        await fs.rm(temp, { force: true });
        throw error;
      }
    });
  }

  async readLink(vmPath: string): Promise<string | undefined> {
    try {
      return await fs.readlink(underRoot(this.root, vmPath, { followLast: false }));
    } catch {
      return undefined;
    }
  }

  async remove(vmPath: string): Promise<void> {
    const target = this.#resolve('remove', vmPath, false);
    await this.#fs('remove', vmPath, () => fs.rm(target, { force: true, recursive: true }));
  }

  async stat(vmPath: string): Promise<FileInfo | undefined> {
    const target = this.#resolve('look at', vmPath, false);
    try {
      const info = await fs.lstat(target);
      return {
        mode: info.mode & 0o7777,
        size: info.size,
        isFile: info.isFile(),
        isDirectory: info.isDirectory(),
        isSymlink: info.isSymbolicLink(),
      };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw this.#problem('look at', vmPath, error);
    }
  }

  async exec(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (changesHost(file, args)) this.assertMayChangeHost(`run ${file}`);
    // Loaded on the first command run: a plan from a snapshot or a status runs none.
    const { execa } = await import('execa');
    const result = await execa(file, args, {
      reject: false,
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
      env: options.env ?? {},
      extendEnv: true,
      stripFinalNewline: false,
    });
    if (result.failed && result.exitCode === undefined) {
      throw new CommandError(file, masked(args, options.secretArgs), undefined, String(result.stderr ?? result.message), result.timedOut);
    }
    return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
  }

  async run(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const result = await this.exec(file, args, options);
    if (result.exitCode !== 0) throw new CommandError(file, masked(args, options.secretArgs), result.exitCode, result.stderr);
    return result;
  }

  async interfaces(): Promise<LocalInterface[]> {
    return Object.entries(os.networkInterfaces()).map(([name, addresses]) => ({
      name,
      mac: addresses?.[0]?.mac ?? '',
      ipv4: (addresses ?? []).filter((a) => a.family === 'IPv4').map((a) => a.address),
    }));
  }

  probe(probe: Probe): Promise<boolean> {
    return probeHolds(this, probe);
  }

  async setHostname(name: string): Promise<void> {
    await this.writeFile('/etc/hostname', `${name}\n`, 0o644);
    // Under another root this is a simulated VM sharing the machine: leave the machine's name alone.
    if (this.root === '/') await this.run('hostname', [name]);
  }

  async systemctl(operation: string, unit: string): Promise<void> {
    this.assertMayChangeHost(`${operation} ${unit}`);
    await this.run(this.#systemctl, [operation, unit]);
  }
}
