// The one small interface through which the agent looks at and changes the system. Roles plan
// without it; their gather step, the executor and the lifecycle steps use it. `node-host.ts` is the
// real one; tests put simulated VMs behind the same interface.

import type { Probe } from '../plan/plan.ts';

/** A network interface as the VM sees it (from the kernel, not from OneGate). */
export interface LocalInterface {
  name: string;
  mac: string;
  ipv4: string[];
}

export interface ExecOptions {
  /** Milliseconds before the command is killed. */
  timeoutMs?: number;
  /** Standard input for the command. */
  input?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Arguments to mask in logs and errors (tokens passed on a command line). */
  secretArgs?: readonly string[];
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface FileInfo {
  mode: number;
  size: number;
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
}

export interface Host {
  /** The folder every VM path is taken under (`/` on a real VM). */
  readonly root: string;

  /** Where a VM path is on this machine (under the root). For programs that take paths. */
  hostPath(vmPath: string): string;

  /** The file's text, or undefined when it does not exist. */
  readFile(vmPath: string): Promise<string | undefined>;
  /** Writes the whole file atomically (temp file, fsync, rename) with this mode; creates parents. */
  writeFile(vmPath: string, content: string, mode: number): Promise<void>;
  /** Appends a line-oriented log or status text (not atomic: for logs only). */
  appendFile(vmPath: string, content: string, mode: number): Promise<void>;
  mkdir(vmPath: string, mode: number): Promise<void>;
  /** Points `vmPath` at `target` (replaced atomically when it exists). */
  symlink(vmPath: string, target: string): Promise<void>;
  /** The target of a symbolic link, or undefined when `vmPath` is not one. */
  readLink(vmPath: string): Promise<string | undefined>;
  remove(vmPath: string): Promise<void>;
  stat(vmPath: string): Promise<FileInfo | undefined>;

  /** Runs a program with an argv array (never a shell string). Never throws for a non-zero exit. */
  exec(file: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** Runs a program and throws CommandError when it fails. */
  run(file: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult>;

  /** Sets the host name: `/etc/hostname`, and the running system's when the root is `/`. */
  setHostname(name: string): Promise<void>;

  /** Operates a systemd unit (`systemctl <operation> <unit>`). */
  systemctl(operation: string, unit: string): Promise<void>;

  /** The VM's network interfaces with their MAC and IPv4 addresses. */
  interfaces(): Promise<LocalInterface[]>;
  /**
   * Throws (exit 2) when host-level actions (sysctl, nft, ip, mount, systemctl…) may not run here:
   * the --root rule of host-changes.ts. Absent: always allowed (simulated hosts).
   */
  assertMayChangeHost?(what: string): void;

  /** Whether the probe holds right now (a file exists, a port accepts, an endpoint answers 200). Never throws. */
  probe(probe: Probe): Promise<boolean>;
}
