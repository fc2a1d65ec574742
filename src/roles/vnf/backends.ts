// The servers of each HAProxy load balancer (contract section 7): the static ones from the context,
// plus every backend that a VM of the service publishes as ONEGATE_HAPROXY_LB<i>_{IP,PORT,
// SERVER_HOST,SERVER_PORT} for the same index, IP and port as a static load balancer. Published
// values come from other VMs, not from the user: a malformed one is skipped with a warning instead of
// stopping the VNF, so one broken VM cannot take the load balancer down for everyone.

import { InternalError } from '../../errors.ts';
import { parseHaproxyLbKey, type HaproxyLbField } from '../../onegate/keys.ts';
import { canonicalHost, parseIp } from '../../net/address.ts';
import { compareHosts, hostPort } from '../../render/addresses.ts';
import type { HaproxyServer, LoadBalancer } from './haproxy-cfg.ts';
import { type NicAddresses, resolvePlaceholder, tryResolvePlaceholder } from '../../config/placeholders.ts';

/** LB0 is the RKE2 supervisor (9345), which listens before it can serve joins (rke2-docs pull 231)… */
export const SUPERVISOR_LB_INDEX = 0;
/** …so its servers are health-checked on the Kubernetes API port instead. */
export const SUPERVISOR_CHECK_PORT = 6443;

export interface StaticServer {
  /** An address, a DNS name or a placeholder. */
  readonly host: string;
  readonly port: number;
  /** j of `ONEAPP_VNF_HAPROXY_LB<i>_SERVER<j>_*`, for error messages; the list position otherwise. */
  readonly index?: number | undefined;
}

/** A load balancer from the context: `ONEAPP_VNF_HAPROXY_LB<i>_{IP,PORT}` and its static servers. */
export interface StaticLb {
  readonly index: number;
  /** An address or a placeholder. */
  readonly ip: string;
  readonly port: number;
  readonly servers: readonly StaticServer[];
}

/** A VM of the service as OneGate shows it. */
export interface ServiceVm {
  readonly id: number;
  readonly userTemplate: Readonly<Record<string, string>>;
}

export interface CollectOptions {
  /** The VNF's own addresses, to resolve placeholders; without them a placeholder cannot resolve. */
  readonly nics?: readonly NicAddresses[] | undefined;
}

export interface CollectedBackends {
  /** Sorted by index then port; servers sorted and unique. */
  readonly loadBalancers: LoadBalancer[];
  /** One line per published backend that was skipped, naming the VM, the key and the value. */
  readonly warnings: string[];
}

const PORT = /^(?:[1-9]\d{0,4})$/;

function parsePort(text: string): number | undefined {
  if (!PORT.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}

interface Draft {
  readonly index: number;
  readonly ip: string;
  readonly port: number;
  readonly servers: Map<string, HaproxyServer>;
}

function lbKey(index: number, ip: string, port: number): string {
  return `${index} ${hostPort(ip, port)}`;
}

function addServer(draft: Draft, host: string, port: number): void {
  const server = draft.index === SUPERVISOR_LB_INDEX ? { host, port, checkPort: SUPERVISOR_CHECK_PORT } : { host, port };
  draft.servers.set(hostPort(host, port), server);
}

function resolveStatic(lb: StaticLb, nics: readonly NicAddresses[]): Draft {
  const prefix = `ONEAPP_VNF_HAPROXY_LB${lb.index}`;
  if (!Number.isInteger(lb.index) || lb.index < 0) throw new InternalError(`load balancer index ${lb.index} is not a non-negative integer`);
  const ip = parseIp(resolvePlaceholder(lb.ip, nics, `${prefix}_IP`));
  if (ip === undefined) throw new InternalError(`${prefix}_IP=${lb.ip} reached the VNF without being an address`);
  if (parsePort(String(lb.port)) === undefined) throw new InternalError(`${prefix}_PORT=${lb.port} reached the VNF without being a port`);
  const draft: Draft = { index: lb.index, ip: ip.address, port: lb.port, servers: new Map() };
  lb.servers.forEach((server, position) => {
    const variable = `${prefix}_SERVER${server.index ?? position}`;
    const host = canonicalHost(resolvePlaceholder(server.host, nics, `${variable}_HOST`));
    if (host === undefined) throw new InternalError(`${variable}_HOST=${server.host} reached the VNF without being an address or name`);
    if (parsePort(String(server.port)) === undefined) throw new InternalError(`${variable}_PORT=${server.port} reached the VNF without being a port`);
    addServer(draft, host, server.port);
  });
  return draft;
}

type Published = Partial<Record<HaproxyLbField, string>>;

/** The LB<i> fields each index of one VM's USER_TEMPLATE publishes; empty values count as absent. */
function publishedByIndex(userTemplate: Readonly<Record<string, string>>): Map<number, Published> {
  const byIndex = new Map<number, Published>();
  for (const [key, value] of Object.entries(userTemplate)) {
    const parsed = parseHaproxyLbKey(key);
    if (parsed === undefined || value === '') continue;
    const entry = byIndex.get(parsed.index) ?? {};
    entry[parsed.field] = value;
    byIndex.set(parsed.index, entry);
  }
  return byIndex;
}

/** Static load balancers with their static and published servers; see the module comment. */
export function collectBackends(staticLbs: readonly StaticLb[], vms: readonly ServiceVm[], options: CollectOptions = {}): CollectedBackends {
  const nics = options.nics ?? [];
  const drafts = new Map<string, Draft>();
  const indices = new Set<number>();
  for (const lb of staticLbs) {
    const draft = resolveStatic(lb, nics);
    if (indices.has(draft.index)) throw new InternalError(`load balancer ${draft.index} is defined twice`);
    indices.add(draft.index);
    drafts.set(lbKey(draft.index, draft.ip, draft.port), draft);
  }

  const warnings: string[] = [];
  const sortedVms = [...vms].sort((a, b) => a.id - b.id);
  for (const vm of sortedVms) {
    const byIndex = publishedByIndex(vm.userTemplate);
    for (const index of [...byIndex.keys()].sort((a, b) => a - b)) {
      const published = byIndex.get(index) as Published;
      const key = (field: HaproxyLbField): string => `ONEGATE_HAPROXY_LB${index}_${field}`;
      const skip = (why: string): void => {
        warnings.push(`VM ${vm.id}: ${why}; backend for LB${index} skipped`);
      };
      const missing = (['IP', 'PORT', 'SERVER_HOST', 'SERVER_PORT'] as const).filter((field) => published[field] === undefined);
      if (missing.length > 0) {
        skip(`publishes ONEGATE_HAPROXY_LB${index}_* without ${missing.map(key).join(', ')}`);
        continue;
      }
      const { IP: rawIp = '', PORT: rawPort = '', SERVER_HOST: rawHost = '', SERVER_PORT: rawServerPort = '' } = published;

      const ipResult = tryResolvePlaceholder(rawIp, nics);
      const ip = ipResult.ok ? parseIp(ipResult.value) : undefined;
      if (ip === undefined) {
        skip(`${key('IP')}=${JSON.stringify(rawIp)} is not an IP address${ipResult.ok ? '' : ` (${ipResult.reason})`}`);
        continue;
      }
      const port = parsePort(rawPort);
      if (port === undefined) {
        skip(`${key('PORT')}=${JSON.stringify(rawPort)} is not a TCP port`);
        continue;
      }
      const hostResult = tryResolvePlaceholder(rawHost, nics);
      const host = hostResult.ok ? canonicalHost(hostResult.value) : undefined;
      if (host === undefined) {
        skip(`${key('SERVER_HOST')}=${JSON.stringify(rawHost)} is neither an IP address nor a DNS name${hostResult.ok ? '' : ` (${hostResult.reason})`}`);
        continue;
      }
      const serverPort = parsePort(rawServerPort);
      if (serverPort === undefined) {
        skip(`${key('SERVER_PORT')}=${JSON.stringify(rawServerPort)} is not a TCP port`);
        continue;
      }
      // Only load balancers the VNF itself defines take published servers: a backend for another
      // address or port belongs to another VNF (two clusters on one network) and is not an error.
      const draft = drafts.get(lbKey(index, ip.address, port));
      if (draft !== undefined) addServer(draft, host, serverPort);
    }
  }

  const loadBalancers = [...drafts.values()]
    .sort((a, b) => a.index - b.index || a.port - b.port)
    .map((draft) => ({
      index: draft.index,
      ip: draft.ip,
      port: draft.port,
      servers: [...draft.servers.values()].sort((a, b) => compareHosts(a.host, b.host) || a.port - b.port),
    }));
  return { loadBalancers, warnings };
}
