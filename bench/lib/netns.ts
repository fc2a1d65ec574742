// Network namespaces for the benchmarks: a few `ip` calls, and processes started inside a namespace.
// (test/support/netns.ts does more, but it imports vitest, which cannot load outside a test run.)
// Every namespace is named `okb-<pid>-<name>` and removed by cleanup(), with what runs in it.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export async function ip(args: readonly string[]): Promise<string> {
  try {
    return (await run('ip', args)).stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(' ')}: ${(e.stderr ?? e.message).trim()}`);
  }
}

export interface Spawned {
  child: ChildProcess;
  output(): string;
  /** Resolves once the output matches `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

export class Namespaces {
  readonly prefix = `okb-${process.pid}-`;
  readonly #names: string[] = [];
  readonly #children: ChildProcess[] = [];

  async add(name: string): Promise<string> {
    const ns = `${this.prefix}${name}`;
    await ip(['netns', 'add', ns]);
    this.#names.push(ns);
    await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  /** The IPv4 addresses on `dev` inside `ns`. */
  async addresses(ns: string, dev: string): Promise<string[]> {
    const parsed = JSON.parse(await ip(['-n', ns, '-j', '-4', 'addr', 'show', 'dev', dev])) as { addr_info?: { local?: string }[] }[];
    return parsed.flatMap((l) => (l.addr_info ?? []).map((a) => a.local ?? '')).filter((a) => a !== '');
  }

  /** Starts `file args` inside `ns`, in a process group of its own. */
  spawn(ns: string, file: string, args: readonly string[], env: Record<string, string> = {}): Spawned {
    const child = spawn('ip', ['netns', 'exec', ns, file, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.#children.push(child);
    let text = '';
    const listeners = new Set<() => void>();
    const onData = (chunk: Buffer) => {
      text = (text + chunk.toString()).slice(-256 * 1024);
      for (const l of listeners) l();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    return {
      child,
      output: () => text,
      waitFor: (pattern, timeoutMs = 15_000) =>
        new Promise<void>((resolve, reject) => {
          const check = () => {
            if (pattern.test(text)) done(resolve);
          };
          const timer = setTimeout(() => done(() => reject(new Error(`${file} in ${ns} did not print ${pattern} within ${timeoutMs} ms: ${text.slice(-500)}`))), timeoutMs);
          const done = (settle: () => void) => {
            clearTimeout(timer);
            listeners.delete(check);
            settle();
          };
          listeners.add(check);
          check();
        }),
    };
  }

  /** SIGKILL to a process group started here, and its exit awaited. */
  async kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Gone already.
    }
    await exited;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.#children.map((c) => this.kill(c)));
    for (const ns of this.#names.reverse()) {
      const pids = (await run('ip', ['netns', 'pids', ns]).catch(() => ({ stdout: '' }))).stdout.split(/\s+/).filter((p) => /^\d+$/.test(p));
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // Exited meanwhile.
        }
      }
      await ip(['netns', 'del', ns]).catch(() => undefined);
    }
    this.#names.length = 0;
  }
}
