import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { CommandError } from '../errors.ts';
import os from 'node:os';
import type { Probe } from '../plan/plan.ts';
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

/** Writes `content` to `target` through a temp file in the same folder, so readers never see half a file. */
export async function writeFileAtomic(target: string, content: string, mode: number): Promise<void> {
  await fs.mkdir(path.dirname(target), { recursive: true });
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  // The mode is set at creation, so a secret is never readable by others, not even for a moment.
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

/** The real host: files under `root`, real processes, real systemd. */
export class NodeHost implements Host {
  readonly root: string;
  readonly #systemctl: string;

  constructor(root: string, options: { systemctl?: string } = {}) {
    this.root = root;
    this.#systemctl = options.systemctl ?? 'systemctl';
  }

  hostPath(vmPath: string): string {
    return underRoot(this.root, vmPath);
  }

  async readFile(vmPath: string): Promise<string | undefined> {
    try {
      return await fs.readFile(this.hostPath(vmPath), 'utf8');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  writeFile(vmPath: string, content: string, mode: number): Promise<void> {
    return writeFileAtomic(this.hostPath(vmPath), content, mode);
  }

  async appendFile(vmPath: string, content: string, mode: number): Promise<void> {
    const target = this.hostPath(vmPath);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.appendFile(target, content, { mode });
  }

  async mkdir(vmPath: string, mode: number): Promise<void> {
    const target = this.hostPath(vmPath);
    await fs.mkdir(target, { recursive: true, mode });
    await fs.chmod(target, mode);
  }

  async symlink(vmPath: string, target: string): Promise<void> {
    const link = this.hostPath(vmPath);
    await fs.mkdir(path.dirname(link), { recursive: true });
    const temp = `${link}.${randomBytes(6).toString('hex')}.tmp`;
    await fs.symlink(target, temp);
    await fs.rename(temp, link);
  }

  async readLink(vmPath: string): Promise<string | undefined> {
    try {
      return await fs.readlink(this.hostPath(vmPath));
    } catch {
      return undefined;
    }
  }

  async remove(vmPath: string): Promise<void> {
    await fs.rm(this.hostPath(vmPath), { force: true, recursive: true });
  }

  async stat(vmPath: string): Promise<FileInfo | undefined> {
    try {
      const info = await fs.lstat(this.hostPath(vmPath));
      return {
        mode: info.mode & 0o7777,
        size: info.size,
        isFile: info.isFile(),
        isDirectory: info.isDirectory(),
        isSymlink: info.isSymbolicLink(),
      };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async exec(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
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
    await this.run(this.#systemctl, [operation, unit]);
  }
}
