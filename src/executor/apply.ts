import type { Host } from '../host/host.ts';
import { isIpv4 } from '../net/address.ts';
import { resolveIpv4 } from '../host/resolve.ts';
import { kubeconfigFor, reachableServer } from '../plan/kubeconfig.ts';
import type { SecretSet } from '../log/logger.ts';
import type { Logger } from '../log/logger.ts';
import type { OneGateClient } from '../onegate/client.ts';
import type { DeleteOutcome, KubeApi } from '../cleaner/kube-api.ts';
import { describeAction } from '../plan/format.ts';
import type { Action, ActionOf, FileValue, Plan, Value } from '../plan/plan.ts';
import { RuntimeProblem } from '../errors.ts';
import { changesHost } from '../host/host-changes.ts';
import { realClock, waitFor, type Clock } from './wait.ts';

// Applies a plan, action by action, through the host and OneGate. Does nothing else: what to do was
// decided by the role.

export interface ApplyDeps {
  host: Host;
  logger: Logger;
  /** Needed only by publish and unpublish actions. */
  onegate?: Pick<OneGateClient, 'vmUpdate' | 'vmDeleteKey'>;
  clock?: Clock;
  /** Values read at apply time (tokens, kubeconfigs) are added here so that logs never show them. */
  secrets?: SecretSet;
  /** Needed only by delete-node actions. */
  kubeApi?: Pick<KubeApi, 'deleteNode'>;
  /** How endpoint names are resolved (the VM's resolver unless a test says otherwise). */
  resolveIpv4?: (name: string) => Promise<string | undefined>;
  /** Needed only by the actions of `oneke install` (src/install/install.ts makes one). */
  installer?: Installer;
}

/** Performs the actions of `oneke install`: packages, verified downloads, manifests, add-on images. */
export interface Installer {
  installPackages(action: ActionOf<'install-packages'>): Promise<void>;
  artifact(action: ActionOf<'artifact'>): Promise<void>;
  addonManifest(action: ActionOf<'addon-manifest'>): Promise<void>;
  chartImages(action: ActionOf<'chart-images'>): Promise<void>;
}

function installerOf(deps: ApplyDeps, kind: string): Installer {
  if (!deps.installer) throw new RuntimeProblem('ONEKE_INTERNAL', `an ${kind} action needs the installer`);
  return deps.installer;
}

export interface ApplyReport {
  /** VM paths whose content, mode or target changed. */
  changed: string[];
  /** How many actions ran (unchanged files count as ran). */
  actions: number;
  /** What each delete-node action came to, by node name (only when the plan has some). */
  nodes?: Record<string, DeleteOutcome>;
}

/** Reads a value that exists only now (a token file, a kubeconfig). */
async function resolveValue(deps: ApplyDeps, value: Value): Promise<string> {
  if (typeof value === 'string') return value;
  const text = await readRequired(deps.host, value);
  let resolved = text.trim();
  if (value.kubeconfigFor) {
    const name = new URL(value.kubeconfigFor).hostname;
    const address = isIpv4(name) ? undefined : await (deps.resolveIpv4 ?? resolveIpv4)(name);
    if (!isIpv4(name) && address === undefined) deps.logger.warn(`${name} does not resolve here; the kubeconfig keeps the name`);
    const { server, tlsServerName } = reachableServer(value.kubeconfigFor, address);
    resolved = Buffer.from(kubeconfigFor(text, server, tlsServerName)).toString('base64');
  }
  deps.secrets?.add(resolved, text.trim());
  return resolved;
}

async function readRequired(host: Host, value: FileValue): Promise<string> {
  const text = await host.readFile(value.path);
  if (text === undefined || text.trim() === '') {
    throw new RuntimeProblem('ONEKE_VALUE_MISSING', `${value.path} is missing or empty, but the plan needs its content`);
  }
  return text;
}

/** Writes a file only when its content or mode differs; says whether it changed. */
async function writeIfChanged(host: Host, path: string, content: string, mode: number): Promise<boolean> {
  const [current, info] = await Promise.all([host.readFile(path), host.stat(path)]);
  if (current === content && info?.mode === mode && !info.isSymlink) return false;
  await host.writeFile(path, content, mode);
  return true;
}

async function applyAction(action: Action, deps: ApplyDeps, report: ApplyReport): Promise<void> {
  const { host } = deps;
  switch (action.kind) {
    case 'file': {
      let content = action.content;
      for (const [name, value] of Object.entries(action.values ?? {})) {
        content = content.split(`\${${name}}`).join(await resolveValue(deps, value));
      }
      if (await writeIfChanged(host, action.path, content, action.mode)) report.changed.push(action.path);
      return;
    }
    case 'hostname':
      if ((await host.readFile('/etc/hostname'))?.trim() !== action.name) {
        await host.setHostname(action.name);
        report.changed.push('/etc/hostname');
      }
      return;
    case 'directory': {
      const info = await host.stat(action.path);
      if (!info?.isDirectory || info.mode !== action.mode) {
        await host.mkdir(action.path, action.mode);
        report.changed.push(action.path);
      }
      return;
    }
    case 'symlink': {
      if ((await host.readLink(action.path)) !== action.target) {
        await host.symlink(action.path, action.target);
        report.changed.push(action.path);
      }
      return;
    }
    case 'remove':
      if (await host.stat(action.path)) {
        await host.remove(action.path);
        report.changed.push(action.path);
      }
      return;
    case 'service':
      await host.systemctl(action.operation, action.unit);
      return;
    case 'mount': {
      const target = host.hostPath(action.mountpoint);
      const mounted = await host.exec('findmnt', ['--noheadings', '--output', 'SOURCE', '--mountpoint', target]);
      if (mounted.exitCode === 0 && mounted.stdout.trim() !== '') return;
      await host.mkdir(action.mountpoint, 0o755);
      await host.run('mount', ['-t', action.fstype, action.device, target]);
      report.changed.push(action.mountpoint);
      return;
    }
    case 'command': {
      const argv = action.argv.map((arg, i) => (action.paths?.includes(i) ? host.hostPath(arg) : arg));
      await host.run(argv[0] ?? '', argv.slice(1));
      return;
    }
    case 'publish':
      if (!deps.onegate) throw new RuntimeProblem('ONEKE_ONEGATE_MISSING', 'a publish action needs a OneGate client');
      {
        const keys: Record<string, string> = {};
        for (const [key, value] of Object.entries(action.keys)) keys[key] = await resolveValue(deps, value);
        await deps.onegate.vmUpdate(keys);
      }
      return;
    case 'unpublish':
      if (!deps.onegate) throw new RuntimeProblem('ONEKE_ONEGATE_MISSING', 'an unpublish action needs a OneGate client');
      for (const key of action.keys) await deps.onegate.vmDeleteKey(key);
      return;
    case 'wait':
      await waitFor(
        action.what,
        async () => ({ done: await host.probe(action.probe) }),
        { deadlineMs: action.deadlineSeconds * 1000, initialMs: 500, maxMs: 5_000 },
        deps.logger,
        deps.clock ?? realClock,
      );
      return;
    case 'delete-node':
      if (!deps.kubeApi) throw new RuntimeProblem('ONEKE_INTERNAL', 'a delete-node action needs the Kubernetes API');
      report.nodes = { ...report.nodes, [action.name]: await deps.kubeApi.deleteNode(action.name, action.uid) };
      return;
    case 'install-packages':
      await installerOf(deps, action.kind).installPackages(action);
      return;
    case 'artifact':
      await installerOf(deps, action.kind).artifact(action);
      return;
    case 'addon-manifest':
      await installerOf(deps, action.kind).addonManifest(action);
      return;
    case 'chart-images':
      await installerOf(deps, action.kind).chartImages(action);
      return;
  }
}

/** The first action that changes the running system rather than files under the root, if any. */
export function firstHostChange(plan: Plan): Action | undefined {
  return plan.actions.find(
    (action) => action.kind === 'service' || action.kind === 'mount' || action.kind === 'install-packages' || (action.kind === 'command' && changesHost(action.argv[0] ?? '', action.argv.slice(1))),
  );
}

/** Applies every action in order; stops at the first failure (the error names the action). */
export async function applyPlan(plan: Plan, deps: ApplyDeps): Promise<ApplyReport> {
  const report: ApplyReport = { changed: [], actions: 0 };
  // The --root rule is checked before the first action, so a refused plan changes nothing.
  const hostChange = firstHostChange(plan);
  if (hostChange && deps.host.assertMayChangeHost) deps.host.assertMayChangeHost(describeAction(hostChange, false).split('\n')[0] ?? hostChange.kind);
  for (const [index, action] of plan.actions.entries()) {
    const op = index + 1;
    const clock = deps.clock ?? realClock;
    const started = clock.now();
    deps.logger.debug({ op }, `[started] ${describeAction(action, false).split('\n')[0]}`);
    try {
      await applyAction(action, deps, report);
    } catch (error) {
      deps.logger.error({ op }, `[failed] ${describeAction(action, false).split('\n')[0]}`);
      throw error;
    }
    report.actions++;
    deps.logger.debug({ op, ms: clock.now() - started }, '[finished]');
  }
  if (report.changed.length > 0) deps.logger.info({ changed: report.changed }, `applied ${report.actions} actions`);
  return report;
}
