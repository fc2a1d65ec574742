import { readdirSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.ts';

// The --root rule. Under a root other than `/` the files are the simulated VM's, but sysctl, nft,
// ip, mount, systemctl and hostname act on the machine the agent runs on. They run only when that
// machine is a simulated VM itself, i.e. the process is in a network namespace of its own (as in the
// tests and the demo), or when the operator says so explicitly. Otherwise the run stops (exit 2)
// before the first such action: a developer trying a context on a laptop keeps the laptop's route.

export const ALLOW_HOST_CHANGES_OPTION = '--allow-host-changes';
export const ALLOW_HOST_CHANGES_ENV = 'ONEKE_ALLOW_HOST_CHANGES';

/** Whether host-level actions may run, and if not, why. */
export type HostChangePolicy = { allowed: true } | { allowed: false; reason: string };

/** Programs that change the running system rather than files under the root. */
const HOST_PROGRAMS = new Set([
  'sysctl',
  'nft',
  'iptables',
  'ip6tables',
  'ip',
  'mount',
  'umount',
  'swapoff',
  'swapon',
  'modprobe',
  'hostname',
  'hostnamectl',
  'systemctl',
  'apt-get',
  'dpkg',
  'wipefs',
  'keepalived',
  'haproxy',
  'losetup',
]);
/** `ip` subcommand words that only look. */
const IP_READ_ONLY = new Set(['show', 'list', 'lst', 'get']);

/** Whether running `file args` changes the running system (false for read-only `ip … show`). */
export function changesHost(file: string, args: readonly string[]): boolean {
  const name = file.split('/').pop() ?? file;
  if (name.startsWith('mkfs')) return true;
  if (!HOST_PROGRAMS.has(name)) return false;
  if (name === 'ip') return !args.some((arg) => IP_READ_ONLY.has(arg));
  if (name === 'haproxy') return !args.includes('-c'); // `haproxy -c` checks a file
  if (name === 'sysctl') return args.some((arg) => arg === '-w' || arg === '-p' || arg === '--system' || arg.includes('='));
  return true;
}

/**
 * Where this process's network namespace is (`net:[4026531840]`), where init's is, and those that
 * `ip netns` has named (under /run/netns; `ip netns exec` runs in one of them). Reading init's
 * needs ptrace rights over PID 1, which a confined root may lack; the named ones then tell.
 */
export interface NamespaceFacts {
  self: string | undefined;
  init: string | undefined;
  named?: readonly string[];
}

export const NAMED_NETNS_DIR = '/run/netns';

export function readNamespaces(): NamespaceFacts {
  const read = (file: string): string | undefined => {
    try {
      return readlinkSync(file);
    } catch {
      return undefined;
    }
  };
  const named: string[] = [];
  try {
    for (const name of readdirSync(NAMED_NETNS_DIR)) {
      try {
        named.push(`net:[${statSync(path.join(NAMED_NETNS_DIR, name)).ino}]`);
      } catch {
        // not a namespace mount (yet): ignore it
      }
    }
  } catch {
    // no named namespaces on this machine
  }
  return { self: read('/proc/self/ns/net'), init: read('/proc/1/ns/net'), named };
}

/** The rule, from plain facts: `/` always; another root only in a network namespace of its own or with the override. */
export function hostChangePolicy(root: string, override: boolean, namespaces: () => NamespaceFacts): HostChangePolicy {
  if (root === '/' || root === '' || override) return { allowed: true };
  const { self, init, named = [] } = namespaces();
  if (self !== undefined && init !== undefined && self !== init) return { allowed: true };
  // A namespace named by `ip netns` is never the machine's own (unless someone named that one).
  if (self !== undefined && self !== init && named.includes(self)) return { allowed: true };
  const why =
    self === undefined || init === undefined
      ? 'cannot tell that this process runs in a network namespace of its own (/proc/1/ns/net is not readable, and this one is not named under /run/netns)'
      : "this process runs in the machine's own network namespace";
  return {
    allowed: false,
    reason: `--root ${root} is not /, and ${why}: oneke would change this machine, not the VM under the root. Run it in a network namespace (ip netns exec), or give ${ALLOW_HOST_CHANGES_OPTION} (${ALLOW_HOST_CHANGES_ENV}=1) to change this machine on purpose`,
  };
}

/** Throws the exit-2 error of the rule when host-level actions are not allowed; `what` names the first of them. */
export function assertHostChangesAllowed(policy: HostChangePolicy, what: string): void {
  if (!policy.allowed) throw new UsageError(`refusing to ${what}: ${policy.reason}`);
}
