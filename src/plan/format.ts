import { isIpv4 } from '../net/address.ts';
import type { Action, Plan, Probe, Value } from './plan.ts';

// Printing a plan for `oneke plan`: text for people, JSON for machines. Secrets are masked unless
// the caller asks for them.

export const MASK = '***';

export function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;
}

type JsonAction = Record<string, unknown>;

/** A URL as printed: a user or password in it (a mirror's) is masked unless the caller asks for it. */
function showUrl(url: string, showSecrets: boolean): string {
  if (showSecrets) return url;
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    parsed.username = MASK;
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** How a value read at apply time is shown: where it will come from. */
export function showValue(value: Value): string {
  if (typeof value === 'string') return value;
  if (!value.kubeconfigFor) return `<content of ${value.path}>`;
  const host = new URL(value.kubeconfigFor).hostname;
  const server = isIpv4(host) ? value.kubeconfigFor : `${value.kubeconfigFor} as the address ${host} resolves to`;
  return `<base64 of ${value.path}, server ${server}>`;
}

function maskKeys(keys: Record<string, Value>, secret: readonly string[] | undefined, show: boolean): Record<string, string> {
  return Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, !show && secret?.includes(k) && typeof v === 'string' ? MASK : showValue(v)]));
}

export function actionToJson(action: Action, showSecrets: boolean): JsonAction {
  switch (action.kind) {
    case 'file':
      return {
        kind: 'file',
        path: action.path,
        mode: octal(action.mode),
        content: action.secret && !showSecrets ? MASK : action.content,
        ...(action.secret ? { secret: true } : {}),
        ...(action.values ? { values: Object.fromEntries(Object.entries(action.values).map(([k, v]) => [k, showValue(v)])) } : {}),
      };
    case 'directory':
      return { kind: 'directory', path: action.path, mode: octal(action.mode) };
    case 'publish':
      return { kind: 'publish', keys: maskKeys(action.keys, action.secret, showSecrets) };
    case 'artifact':
      return { ...action, url: showUrl(action.url, showSecrets) };
    default:
      return { ...action };
  }
}

/** The JSON form: one object with `role`, `decision` and `actions`. */
export function planToJson(plan: Plan, showSecrets = false): Record<string, unknown> {
  return {
    role: plan.role,
    decision: plan.decision,
    actions: plan.actions.map((a) => actionToJson(a, showSecrets)),
    ...(plan.warnings?.length ? { warnings: plan.warnings } : {}),
  };
}

function describeProbe(probe: Probe): string {
  switch (probe.kind) {
    case 'file':
      return `file ${probe.path} exists`;
    case 'tcp':
      return `TCP ${probe.host}:${probe.port} accepts`;
    case 'https':
      return `${probe.url} answers 200`;
    case 'nodes-ready':
      return `every node listed by ${probe.url} is Ready`;
  }
}

function indent(text: string, prefix: string): string {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n');
}

export function describeAction(action: Action, showSecrets: boolean): string {
  switch (action.kind) {
    case 'file': {
      const head = `write ${action.path} (mode ${octal(action.mode)}, ${Buffer.byteLength(action.content)} bytes${action.secret ? ', secret' : ''})`;
      if (action.secret && !showSecrets) return `${head}\n      ${MASK}`;
      return `${head}\n${indent(action.content, '      | ')}`;
    }
    case 'hostname':
      return `set the host name to ${action.name}`;
    case 'directory':
      return `create directory ${action.path} (mode ${octal(action.mode)})`;
    case 'symlink':
      return `link ${action.path} -> ${action.target}`;
    case 'remove':
      return `remove ${action.path}`;
    case 'service':
      return `systemctl ${action.operation} ${action.unit}`;
    case 'mount':
      return `mount ${action.device} on ${action.mountpoint} (${action.fstype})`;
    case 'command':
      return `run ${action.argv.join(' ')}  # ${action.why}`;
    case 'publish':
      return `publish to OneGate: ${Object.entries(maskKeys(action.keys, action.secret, showSecrets))
        .map(([k, v]) => `${k}=${v.length > 60 ? `${v.slice(0, 57)}...` : v}`)
        .join(', ')}`;
    case 'unpublish':
      return `delete from OneGate: ${action.keys.join(', ')}`;
    case 'wait':
      return `wait up to ${action.deadlineSeconds}s for ${action.what} (${describeProbe(action.probe)})`;
    case 'delete-node':
      return `delete Kubernetes node ${action.name}${action.uid ? ` (uid ${action.uid})` : ''}`;
    case 'install-packages':
      return `install OS packages: ${action.packages.join(' ')}`;
    case 'artifact':
      return `fetch ${action.file} (${action.label}) from ${showUrl(action.url, showSecrets)}, sha256 ${action.sha256}, to ${action.target}${action.unpack ? `, unpack ${action.unpack === 'rke2' ? 'into /usr/local' : 'helm into /usr/local/bin'}` : ''}`;
    case 'addon-manifest':
      return `write the ${action.addon} HelmChart ${action.path} from its chart archive`;
    case 'chart-images':
      return `copy the container images of the charts of ${action.addons.join(', ')}, each by its trusted digest`;
  }
}

export function planToText(plan: Plan, showSecrets = false): string {
  const lines = [`role:     ${plan.role}`, `decision: ${plan.decision.kind} — ${plan.decision.reason}`, `actions:  ${plan.actions.length}`];
  for (const [i, action] of plan.actions.entries()) lines.push(`  ${String(i + 1).padStart(2)}. ${describeAction(action, showSecrets)}`);
  for (const warning of plan.warnings ?? []) lines.push(`warning:  ${warning}`);
  return `${lines.join('\n')}\n`;
}
