// Simulated VMs as systemd-nspawn containers: a real systemd as PID 1 booted from the shared root
// of test/e2e/image/build-rootfs.sh, a writable overlay per VM (kept across reboots), the VM's
// network namespace, and a cgroup of its own (named after the namespace family, so the leftovers of
// a killed run can be found). See "Real systemd, real images" in the tooling notes for why each
// option is there: --register=no --keep-unit (no systemd on the machine), --console=passive, nsenter.

import { execa, type ResultPromise } from 'execa';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { REPO } from './binary.ts';
import { NETNS_FAMILY, pidAlive } from './netns.ts';

/** The cgroup hierarchies a container gets a folder in: the named systemd v1 one and the unified v2 one. */
const CGROUP_ROOTS = ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified'] as const;
const BUILD_ROOTFS = path.join(REPO, 'test/e2e/image/build-rootfs.sh');

/** Where the harness binds the VM's context folder (one-context's CD-ROM) in every VM. */
export const IN_VM = { context: '/media/one-context' } as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Every VM's systemd takes inotify instances of the machine's root user; the kernel's default of 128
 * runs out at about 20 running VMs ("Failed to allocate manager object: Too many open files"), as the
 * crash-and-resume test has. Raised for this machine, once, as container hosts do; never lowered.
 */
export async function allowManyContainers(): Promise<void> {
  const file = '/proc/sys/fs/inotify/max_user_instances';
  const now = Number((await fsp.readFile(file, 'utf8')).trim());
  if (now < MAX_USER_INSTANCES) await fsp.writeFile(file, String(MAX_USER_INSTANCES));
}
const MAX_USER_INSTANCES = 8192;

/** Builds (or finds in its cache) the VMs' root file system; returns its path. */
export async function vmRootfs(say?: (line: string) => void): Promise<string> {
  const run = execa('bash', [BUILD_ROOTFS], { reject: false, stdin: 'ignore', timeout: 20 * 60_000, env: { NODE: process.execPath } });
  run.stderr?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.startsWith('build-rootfs:')) say?.(line);
  });
  const result = await run;
  const root = result.stdout.trim().split('\n').pop() ?? '';
  if (result.exitCode !== 0 || root === '') throw new Error(`build-rootfs.sh failed (exit ${String(result.exitCode)}):\n${String(result.stderr).split('\n').slice(-20).join('\n')}`);
  return root;
}

/** Every process in a cgroup folder and below it. */
function cgroupPids(dir: string): number[] {
  const pids: number[] = [];
  const walk = (d: string) => {
    try {
      pids.push(
        ...fs
          .readFileSync(path.join(d, 'cgroup.procs'), 'utf8')
          .split('\n')
          .filter((l) => l !== '')
          .map(Number),
      );
      for (const entry of fs.readdirSync(d, { withFileTypes: true })) if (entry.isDirectory()) walk(path.join(d, entry.name));
    } catch {
      // Gone meanwhile.
    }
  };
  walk(dir);
  return pids;
}

/** Kills everything in a container's cgroups and removes the folders, deepest first. */
async function removeCgroup(name: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const pids = CGROUP_ROOTS.flatMap((r) => cgroupPids(path.join(r, name)));
    if (pids.length === 0) break;
    try {
      fs.writeFileSync(path.join(CGROUP_ROOTS[1], name, 'cgroup.kill'), '1');
    } catch {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    await sleep(100);
  }
  for (const root of CGROUP_ROOTS) {
    const dirs: string[] = [];
    const walk = (d: string) => {
      let entries: fs.Dirent[] = [];
      try {
        entries = fs.readdirSync(d, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) if (entry.isDirectory()) walk(path.join(d, entry.name));
      dirs.push(d);
    };
    walk(path.join(root, name));
    for (const d of dirs) {
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          fs.rmdirSync(d);
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') break;
          await sleep(100);
        }
      }
    }
  }
}

export interface ContainerOptions {
  /** The machine name, also the name of its cgroup: starts with the namespace family and the test's pid. */
  name: string;
  /** The shared, read-only root file system. */
  lower: string;
  /** The VM's own folder: its overlay (upper, work, root) and the nspawn log. */
  dir: string;
  /** The network namespace (a name under /run/netns). */
  netns: string;
  /** Host path → path in the VM, bound read-only. */
  binds: Record<string, string>;
}

/** One simulated VM: its disk (an overlay that outlives reboots) and, while it runs, its systemd. */
export class Container {
  readonly options: ContainerOptions;
  /** The merged root: the VM's files as the VM sees them (while the overlay is mounted). */
  readonly root: string;
  #nspawn: ResultPromise | undefined;
  #leader = 0;
  #mounted = false;

  constructor(options: ContainerOptions) {
    this.options = options;
    this.root = path.join(options.dir, 'root');
  }

  /** The container's PID 1 (its systemd) as the machine sees it; 0 when it does not run. */
  get leader(): number {
    return this.#leader;
  }

  /** Whether the container still runs (its systemd can exit by itself, as on a failed boot). */
  get running(): boolean {
    return this.#nspawn !== undefined && this.#nspawn.exitCode === null;
  }

  async #mount(): Promise<void> {
    if (this.#mounted) return;
    const { dir, lower } = this.options;
    for (const sub of ['upper', 'work', 'root']) await fsp.mkdir(path.join(dir, sub), { recursive: true });
    await execa('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${path.join(dir, 'upper')},workdir=${path.join(dir, 'work')}`, this.root]);
    this.#mounted = true;
  }

  /** Boots the VM: systemd-nspawn in its own cgroup; returns once the container's systemd runs. */
  async start(): Promise<void> {
    if (this.#nspawn) throw new Error(`${this.options.name} runs already`);
    await this.#mount();
    const { name, netns, binds, dir } = this.options;
    for (const root of CGROUP_ROOTS) await fsp.mkdir(path.join(root, name), { recursive: true });
    const enter = CGROUP_ROOTS.map((root) => `echo $$ > ${path.join(root, name, 'cgroup.procs')}`).join('; ');
    const args = [
      '-q',
      '-D',
      this.root,
      `--machine=${name}`,
      '--register=no',
      '--keep-unit',
      `--network-namespace-path=/run/netns/${netns}`,
      // The VM owns its network (addresses, VRRP, nftables, sysctls); nspawn grants this only with a namespace it made.
      '--capability=CAP_NET_ADMIN',
      '--console=passive',
      '--link-journal=no',
      '--resolv-conf=off',
      '--timezone=off',
      ...Object.entries(binds).map(([from, to]) => `--bind-ro=${from}:${to}`),
      '-b',
    ];
    const log = { file: path.join(dir, 'nspawn.log'), append: true } as const;
    this.#nspawn = execa('sh', ['-c', `${enter}; exec systemd-nspawn "$@"`, 'sh', ...args], {
      reject: false,
      stdin: 'ignore',
      stdout: log,
      stderr: log,
      // /proc/sys/net writable, as on a VM: the VNF sets ip_forward and ip_nonlocal_bind. (nspawn makes it
      // writable for a network namespace of its own, not for one given by path.)
      env: { SYSTEMD_NSPAWN_API_VFS_WRITABLE: 'network' },
    });
    const nspawnPid = this.#nspawn.pid ?? 0;
    const deadline = Date.now() + 60_000;
    while (this.#leader === 0) {
      if (this.#nspawn.exitCode !== null || Date.now() > deadline) {
        const text = fs.readFileSync(path.join(dir, 'nspawn.log'), 'utf8').split('\n').slice(-10).join('\n');
        await this.stop();
        throw new Error(`${name}: systemd-nspawn did not boot the container:\n${text}`);
      }
      this.#leader = this.#findLeader(nspawnPid);
      if (this.#leader === 0) await sleep(50);
    }
  }

  /** The container's PID 1: the child of nspawn that runs systemd. */
  #findLeader(nspawnPid: number): number {
    let children: number[] = [];
    try {
      children = fs
        .readFileSync(`/proc/${nspawnPid}/task/${nspawnPid}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter((c) => c !== '')
        .map(Number);
    } catch {
      return 0;
    }
    for (const child of children) {
      try {
        if (fs.readFileSync(`/proc/${child}/comm`, 'utf8').trim() === 'systemd') return child;
      } catch {
        // Gone meanwhile.
      }
    }
    return 0;
  }

  /** A file as the running VM sees it (/run and /tmp are its own tmpfs, not in the overlay). */
  live(file: string): string {
    return path.join(`/proc/${this.#leader}/root`, file);
  }

  /** Runs a command inside the VM (all its namespaces) to completion. */
  exec(file: string, args: readonly string[], options: { timeoutMs?: number } = {}) {
    if (this.#leader === 0) throw new Error(`${this.options.name} does not run`);
    return execa('nsenter', ['-t', String(this.#leader), '-a', file, ...args], { reject: false, stdin: 'ignore', timeout: options.timeoutMs ?? 60_000 });
  }

  /** The machine's PIDs of the processes of a unit of the VM (from its cgroup), for a crash by hand. */
  unitPids(unit: string): number[] {
    return this.#unitCgroups(unit).flatMap(cgroupPids);
  }

  /**
   * SIGKILL to every process of a unit at once, as a crash kills them (cgroup.kill): killed one by
   * one, a child that outlives its parent for a moment can still act on the parent's death (keepalived's
   * VRRP child then sends a goodbye advert). Returns the PIDs it had.
   */
  killUnit(unit: string): number[] {
    const dirs = this.#unitCgroups(unit);
    const pids = dirs.flatMap(cgroupPids);
    for (const dir of dirs) {
      try {
        fs.writeFileSync(path.join(dir, 'cgroup.kill'), '1');
      } catch {
        for (const pid of cgroupPids(dir)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // Already gone.
          }
        }
      }
    }
    return pids;
  }

  #unitCgroups(unit: string): string[] {
    const found: string[] = [];
    const walk = (d: string) => {
      for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        const full = path.join(d, entry.name);
        if (entry.name === unit) found.push(full);
        else walk(full);
      }
    };
    walk(path.join(CGROUP_ROOTS[1], this.options.name));
    return found;
  }

  /**
   * Shuts the VM down: SIGTERM to nspawn halts the container as `poweroff` would; with `hard`, or when
   * it does not halt within the grace time, every process of it is killed (a power cut). The overlay
   * stays mounted for the next start unless `unmount`.
   */
  async stop(options: { hard?: boolean; graceMs?: number; unmount?: boolean } = {}): Promise<void> {
    const nspawn = this.#nspawn;
    if (nspawn) {
      if (!options.hard && this.#leader !== 0) {
        nspawn.kill('SIGTERM');
        await Promise.race([nspawn, sleep(options.graceMs ?? 30_000)]);
      }
      await removeCgroup(this.options.name);
      nspawn.kill('SIGKILL');
      await nspawn;
    } else {
      await removeCgroup(this.options.name);
    }
    this.#nspawn = undefined;
    this.#leader = 0;
    if (options.unmount && this.#mounted) {
      const result = await execa('umount', [this.root], { reject: false });
      if (result.exitCode !== 0) await execa('umount', ['-l', this.root], { reject: false });
      this.#mounted = false;
    }
  }
}

/**
 * What killed runs left: containers (cgroups named after the namespace family whose test process is
 * gone) and their overlays (mounts whose upper folder belongs to a gone process's service folder).
 */
export async function removeContainerLeftovers(): Promise<void> {
  const pattern = new RegExp(`^${NETNS_FAMILY}(\\d+)-`);
  const names = new Set<string>();
  for (const root of CGROUP_ROOTS) {
    for (const name of await fsp.readdir(root).catch((): string[] => [])) {
      const pid = Number(pattern.exec(name)?.[1] ?? 0);
      if (pid > 0 && pid !== process.pid && !pidAlive(pid)) names.add(name);
    }
  }
  for (const name of names) await removeCgroup(name);
  const mounts = await fsp.readFile('/proc/self/mounts', 'utf8').catch(() => '');
  for (const line of mounts.split('\n')) {
    const [source, target, type, opts] = line.split(' ');
    if (source !== 'overlay' || type !== 'overlay' || target === undefined) continue;
    const owner = /upperdir=[^,]*\/oneke-e2e-[^,/]*\/vm\d+\/upper/.exec(opts ?? '');
    const pidFile = owner ? path.join(path.dirname(path.dirname(target)), 'owner') : '';
    if (!owner) continue;
    const pid = Number(await fsp.readFile(pidFile, 'utf8').catch(() => '0'));
    if (pid === process.pid || (pid > 0 && pidAlive(pid))) continue;
    await execa('umount', ['-l', target.replaceAll('\\040', ' ')], { reject: false });
  }
}
