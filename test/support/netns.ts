// Test networks made of Linux network namespaces: one namespace per "VM", bridges inside a dedicated
// "switch" namespace, veth pairs as cables, and processes started inside a namespace. Nothing is
// created in the host's own namespace. Everything a TestNet made is removed by cleanup(), also when
// the test failed; removeLeftovers() clears what crashed runs left behind. Needs root.

import { execa, type ResultPromise } from 'execa';

/** Every namespace made here is named `okt-<pid of the test process>-<net>-<name>`. */
export const NETNS_FAMILY = 'okt-';
const NETNS_NAME = /^okt-(\d+)-/;

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** For `describe.skipIf(!isRoot())` titles and messages. */
export const NEEDS_ROOT = 'needs root (network namespaces, keepalived, HAProxy, nft); CI runs as root';

// Process groups started by any TestNet: killed on exit even if a test run is aborted.
const liveGroups = new Set<number>();
let exitHookInstalled = false;
function trackGroup(pid: number): void {
  liveGroups.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const group of liveGroups) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
}

async function ip(args: readonly string[]): Promise<string> {
  const result = await execa('ip', args, { reject: false, stdin: 'ignore' });
  if (result.exitCode !== 0) throw new Error(`ip ${args.join(' ')} exited ${result.exitCode}: ${result.stderr.trim()}`);
  return result.stdout;
}

async function namespacesNow(): Promise<string[]> {
  const out = await ip(['netns', 'list']);
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name !== '');
}

async function killNamespacePids(ns: string): Promise<void> {
  const out = await execa('ip', ['netns', 'pids', ns], { reject: false, stdin: 'ignore' });
  for (const pid of out.stdout.split(/\s+/).filter((p) => /^\d+$/.test(p))) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Exited meanwhile.
    }
  }
}

async function deleteNamespace(ns: string): Promise<void> {
  await killNamespacePids(ns);
  await ip(['netns', 'del', ns]);
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deletes namespaces of earlier test processes that are gone (crashed or killed runs), with whatever
 * still runs inside them. Namespaces of live test processes are left alone. Returns the names deleted.
 */
export async function removeLeftovers(): Promise<string[]> {
  const removed: string[] = [];
  for (const ns of await namespacesNow()) {
    const m = NETNS_NAME.exec(ns);
    if (m === null) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || pidAlive(pid)) continue;
    await deleteNamespace(ns);
    removed.push(ns);
  }
  return removed;
}

/** Polls `probe` until it returns something other than undefined or false, or throws on timeout. */
export async function eventually<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 10_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface ExitInfo {
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
}

/** A process started inside a namespace, in a process group of its own. */
export interface NetProcess {
  readonly label: string;
  readonly pid: number;
  /** Everything it wrote to stdout and stderr so far (the last megabyte). */
  output(): string;
  running(): boolean;
  /** Resolves with the match once the output matches; rejects on timeout or exit. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Sends `signal` to the whole process group and waits for the exit (SIGKILL after 5 s). */
  kill(signal?: NodeJS.Signals): Promise<ExitInfo>;
  readonly exited: Promise<ExitInfo>;
}

const OUTPUT_LIMIT = 1024 * 1024;

class SpawnedProcess implements NetProcess {
  readonly label: string;
  readonly pid: number;
  readonly exited: Promise<ExitInfo>;
  private text = '';
  private done = false;
  private readonly listeners = new Set<() => void>();

  constructor(label: string, child: ResultPromise) {
    this.label = label;
    if (child.pid === undefined) throw new Error(`${label}: could not start`);
    this.pid = child.pid;
    trackGroup(this.pid);
    child.all?.on('data', (chunk: Buffer) => {
      this.text = (this.text + chunk.toString()).slice(-OUTPUT_LIMIT);
      for (const listener of this.listeners) listener();
    });
    this.exited = child.then((result) => {
      this.done = true;
      liveGroups.delete(this.pid);
      for (const listener of this.listeners) listener();
      return { exitCode: result.exitCode, signal: result.signal };
    });
  }

  output(): string {
    return this.text;
  }

  running(): boolean {
    return !this.done;
  }

  waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = new RegExp(pattern.source, pattern.flags.replace('g', '')).exec(this.text);
        if (m !== null) finish(() => resolve(m));
        else if (this.done) finish(() => reject(new Error(`${this.label} exited before printing ${pattern}:\n${this.tail()}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`${this.label} did not print ${pattern} within ${timeoutMs} ms:\n${this.tail()}`))), timeoutMs);
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        settle();
      };
      this.listeners.add(check);
      check();
    });
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<ExitInfo> {
    if (!this.done) {
      try {
        process.kill(-this.pid, signal);
      } catch {
        // The group is gone already.
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-this.pid, 'SIGKILL');
        } catch {
          // Gone.
        }
      }, 5000);
      try {
        return await this.exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return this.exited;
  }

  tail(lines = 30): string {
    return this.text.split('\n').slice(-lines).join('\n');
  }
}

export interface LinkOptions {
  readonly mac?: string;
  /** Addresses with prefix length, e.g. `10.0.0.2/24`. */
  readonly addresses?: readonly string[];
}

export interface WireEnd extends LinkOptions {
  readonly ns: string;
  readonly ifname: string;
}

let netCounter = 0;

/** One test network. Create it per test with useTestNet(), or in beforeAll and clean up in afterAll. */
export class TestNet {
  readonly prefix: string;
  private readonly namespaces: string[] = [];
  private readonly processes: SpawnedProcess[] = [];
  private switchNs: string | undefined;
  private portCounter = 0;

  constructor() {
    netCounter += 1;
    this.prefix = `${NETNS_FAMILY}${process.pid}-${netCounter}-`;
  }

  /** Creates namespace `<prefix><name>` with its loopback up; returns the full name. */
  async namespace(name: string): Promise<string> {
    const ns = `${this.prefix}${name}`;
    await ip(['netns', 'add', ns]);
    this.namespaces.push(ns);
    await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  private async switchNamespace(): Promise<string> {
    this.switchNs ??= await this.namespace('switch');
    return this.switchNs;
  }

  /** A bridge (a switch) in the switch namespace. */
  async bridge(name: string): Promise<string> {
    const sw = await this.switchNamespace();
    await ip(['-n', sw, 'link', 'add', name, 'type', 'bridge', 'forward_delay', '0']);
    await ip(['-n', sw, 'link', 'set', name, 'up']);
    return name;
  }

  /** Plugs interface `ifname` of `ns` into `bridge` with a veth whose other end stays in the switch. */
  async attach(ns: string, ifname: string, bridge: string, options: LinkOptions = {}): Promise<void> {
    const sw = await this.switchNamespace();
    this.portCounter += 1;
    const port = `p${this.portCounter}`;
    await ip(['-n', sw, 'link', 'add', port, 'type', 'veth', 'peer', 'name', ifname, 'netns', ns]);
    await ip(['-n', sw, 'link', 'set', port, 'master', bridge]);
    await ip(['-n', sw, 'link', 'set', port, 'up']);
    await this.configure(ns, ifname, options);
  }

  /** A cable between two namespaces. */
  async wire(a: WireEnd, b: WireEnd): Promise<void> {
    await ip(['-n', a.ns, 'link', 'add', a.ifname, 'type', 'veth', 'peer', 'name', b.ifname, 'netns', b.ns]);
    await this.configure(a.ns, a.ifname, a);
    await this.configure(b.ns, b.ifname, b);
  }

  /** Two interfaces in one namespace joined to each other: interfaces that only need to exist. */
  async pair(ns: string, a: string, b: string): Promise<void> {
    await ip(['-n', ns, 'link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
    await this.configure(ns, a);
    await this.configure(ns, b);
  }

  async configure(ns: string, ifname: string, options: LinkOptions = {}): Promise<void> {
    if (options.mac !== undefined) await ip(['-n', ns, 'link', 'set', ifname, 'address', options.mac]);
    for (const address of options.addresses ?? []) await ip(['-n', ns, 'addr', 'add', address, 'dev', ifname]);
    await ip(['-n', ns, 'link', 'set', ifname, 'up']);
  }

  /** `ip -n <ns> <args…>`. */
  async ip(ns: string, args: readonly string[]): Promise<string> {
    return ip(['-n', ns, ...args]);
  }

  /** The IPv4 addresses (without prefix) on an interface of `ns`. */
  async ipv4Addresses(ns: string, ifname: string): Promise<string[]> {
    const out = await ip(['-n', ns, '-j', '-4', 'addr', 'show', 'dev', ifname]);
    const parsed = JSON.parse(out) as { addr_info?: { local?: string }[] }[];
    return parsed.flatMap((link) => (link.addr_info ?? []).map((info) => info.local ?? '')).filter((a) => a !== '');
  }

  async sysctl(ns: string, key: string, value: string): Promise<void> {
    await this.run(ns, 'sysctl', ['-q', '-w', `${key}=${value}`]);
  }

  /** Runs a command inside `ns` to completion; throws with its output when it fails, unless `reject: false`. */
  async run(ns: string, file: string, args: readonly string[], options: { reject?: boolean; timeoutMs?: number } = {}) {
    const result = await execa('ip', ['netns', 'exec', ns, file, ...args], { reject: false, stdin: 'ignore', timeout: options.timeoutMs ?? 30_000 });
    if ((options.reject ?? true) && result.exitCode !== 0) {
      throw new Error(`${file} ${args.join(' ')} in ${ns} exited ${String(result.exitCode)}: ${result.stderr.trim()} ${result.stdout.trim()}`);
    }
    return result;
  }

  /** Starts a long-running command inside `ns`, in its own process group. */
  spawn(ns: string, file: string, args: readonly string[], label = `${file} in ${ns}`): NetProcess {
    const child = execa('ip', ['netns', 'exec', ns, file, ...args], {
      detached: true,
      reject: false,
      stdin: 'ignore',
      all: true,
      buffer: false,
    });
    const spawned = new SpawnedProcess(label, child);
    this.processes.push(spawned);
    return spawned;
  }

  /** Kills every process started here, then deletes every namespace (their links go with them). */
  async cleanup(): Promise<void> {
    const problems: string[] = [];
    await Promise.all(this.processes.map((p) => p.kill('SIGKILL')));
    for (const ns of this.namespaces.reverse()) {
      try {
        await deleteNamespace(ns);
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
    this.namespaces.length = 0;
    this.processes.length = 0;
    this.switchNs = undefined;
    if (problems.length > 0) throw new Error(`test network cleanup: ${problems.join('; ')}`);
  }

  /** The namespaces that currently exist with this net's prefix (to check a cleanup). */
  async existingNamespaces(): Promise<string[]> {
    return (await namespacesNow()).filter((ns) => ns.startsWith(this.prefix));
  }
}
