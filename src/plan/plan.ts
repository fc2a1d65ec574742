// The plan: what a role wants done on this VM, as plain data. Roles build it, `oneke plan` prints
// it, the executor applies it. Nothing here touches the system.

export const ROLE_NAMES = ['vnf', 'master', 'worker', 'storage'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

export function isRoleName(value: string): value is RoleName {
  return (ROLE_NAMES as readonly string[]).includes(value);
}

/** What the role decided to do on this run, and why. */
export interface Decision {
  /** A short machine-readable word: `initialise`, `join-server`, `join-agent`, `restart`, `wait`, … */
  kind: string;
  /** One sentence for people; for a wait, what is awaited. */
  reason: string;
  /** For a wait: give up after waiting this long for the same thing. */
  deadlineSeconds?: number;
}

export type ServiceOperation = 'start' | 'stop' | 'restart' | 'reload' | 'reload-or-restart' | 'enable' | 'disable' | 'mask' | 'unmask';

/** What a wait action polls for until it holds. */
export type Probe =
  | { kind: 'file'; path: string }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'https'; url: string; ca?: string; cert?: string; key?: string }
  /** Every node of the Kubernetes API at `url` (…/api/v1/nodes) reports KubeletReady. */
  | { kind: 'nodes-ready'; url: string; ca?: string; cert?: string; key?: string };

/**
 * A value known only when the plan runs (the cluster token appears once RKE2 has started). The
 * executor reads it at that moment; printed plans show where it comes from.
 */
export interface FileValue {
  from: 'file';
  path: string;
  /**
   * Turn a kubeconfig into one aimed at this `https://host:port` and base64-encode it. A host name
   * is resolved at apply time and published as its address (the name kept as tls-server-name).
   */
  kubeconfigFor?: string;
}
export type Value = string | FileValue;

export type Action =
  /**
   * Write a whole file atomically with this mode. `secret` content is masked when printed. Each
   * `${NAME}` of `content` is replaced at apply time by `values[NAME]`.
   */
  | { kind: 'file'; path: string; mode: number; content: string; secret?: boolean; values?: Record<string, FileValue> }
  /** Set the host name (the file, and the running system's when not under another root). */
  | { kind: 'hostname'; name: string }
  | { kind: 'directory'; path: string; mode: number }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'remove'; path: string }
  | { kind: 'service'; unit: string; operation: ServiceOperation }
  /** Mount a block device (a real device path) on a VM path. */
  | { kind: 'mount'; device: string; mountpoint: string; fstype: string }
  /** Run a program (argv, never a shell string); the argv items at `paths` are VM paths, taken under the root. */
  | { kind: 'command'; argv: string[]; why: string; paths?: number[] }
  /** Merge keys into this VM's USER_TEMPLATE through OneGate. Keys in `secret` are masked when printed. */
  | { kind: 'publish'; keys: Record<string, Value>; secret?: string[] }
  /** Delete keys from this VM's USER_TEMPLATE. */
  | { kind: 'unpublish'; keys: string[] }
  /** Poll until the probe holds or the deadline passes. */
  | { kind: 'wait'; what: string; probe: Probe; deadlineSeconds: number }
  /** Delete a Kubernetes node object through the API; with `uid`, only that very object. */
  | { kind: 'delete-node'; name: string; uid?: string }
  /** `oneke install`: apt-get these OS packages on the running system (src/install/packages.ts). */
  | { kind: 'install-packages'; packages: string[] }
  /**
   * `oneke install`: fetch `url` to the VM path `target` unless its receipt says it is in place,
   * verified against `sha256`; `unpack` archives are unpacked (RKE2 into /usr/local, Helm's binary)
   * and then removed.
   */
  | { kind: 'artifact'; file: string; label: string; url: string; sha256: string; target: string; unpack?: 'rke2' | 'helm' }
  /** `oneke install`: write the HelmChart manifest of a chart add-on at `path`, from its downloaded chart archive. */
  | { kind: 'addon-manifest'; addon: string; path: string }
  /** `oneke install`, air-gapped: copy the container images these add-ons' charts run, each by its trusted digest. */
  | { kind: 'chart-images'; addons: string[] };

/** The action of one kind: `ActionOf<'artifact'>`. */
export type ActionOf<K extends Action['kind']> = Extract<Action, { kind: K }>;

export interface Plan {
  role: RoleName | 'unknown';
  decision: Decision;
  actions: Action[];
  /** Things the operator should know that do not stop the run (a disk of another filesystem type). */
  warnings?: string[];
}
