import { randomBytes } from 'node:crypto';
import { parse } from 'yaml';
import type { Host } from '../../host/host.ts';
import type { GatherEnv } from '../role.ts';
import type { DiskFacts } from '../storage/disk/index.ts';
import { mastersOf } from './join-order.ts';
import { API_PORT, RKE2_CONFIG } from './paths.ts';
import { preparedManifestNames } from '../../addons/index.ts';
import type { NetworkFacts } from './network.ts';
import type { KubernetesLocal } from './plan-node.ts';
import type { ExistingRke2Config } from './rke2-config.ts';

// Looks at a Kubernetes node before its role decides: interfaces, routes, files of earlier runs, and
// which masters answer. Reads only.

async function defaultRoute(host: Host): Promise<NetworkFacts['defaultRoute']> {
  const result = await host.exec('ip', ['-j', 'route', 'show', 'default']).catch(() => undefined);
  if (result?.exitCode !== 0) return undefined;
  try {
    const routes = JSON.parse(result.stdout) as { gateway?: string; dev?: string }[];
    const first = routes[0];
    return first ? { ...(first.gateway ? { gateway: first.gateway } : {}), ...(first.dev ? { dev: first.dev } : {}) } : undefined;
  } catch {
    return undefined;
  }
}

async function existingConfig(env: GatherEnv): Promise<ExistingRke2Config> {
  const text = await env.host.readFile(RKE2_CONFIG);
  if (!text) return {};
  try {
    const doc = parse(text) as Record<string, unknown> | null;
    const pick = (key: string) => (typeof doc?.[key] === 'string' && doc[key] !== '' ? { [key]: doc[key] } : {});
    return { ...pick('token'), ...pick('server') };
  } catch {
    env.logger.warn(`${RKE2_CONFIG} is not valid YAML; it will be rewritten`);
    return {};
  }
}

/** Masters that are READY with an IP and a token, and accept TCP on 6443 right now. */
async function reachableMasters(env: GatherEnv): Promise<number[]> {
  const candidates = mastersOf(env.cluster.service).filter((m) => m.vmId !== env.cluster.self.id && m.ready && m.ip && m.token);
  const answers = await Promise.all(candidates.map(async (m) => ((await env.host.probe({ kind: 'tcp', host: m.ip as string, port: API_PORT })) ? m.vmId : undefined)));
  return answers.filter((id) => id !== undefined);
}

/** The prepared manifests of the enabled add-ons that the image really has. */
async function preparedManifests(env: GatherEnv): Promise<string[]> {
  const present = await Promise.all(preparedManifestNames(env.config).map(async (m) => ((await env.host.stat(m.path)) ? m.name : undefined)));
  return present.filter((n) => n !== undefined);
}

/** The interfaces and the default route, for the node's network actions. */
export async function gatherNetwork(host: Host): Promise<NetworkFacts> {
  const [interfaces, route] = await Promise.all([host.interfaces(), defaultRoute(host)]);
  return { interfaces, defaultRoute: route };
}

/** What every Kubernetes node looks at; `disk` gathers a storage node's dedicated disk alongside. */
export async function gatherKubernetes(env: GatherEnv, disk?: () => Promise<DiskFacts | undefined>): Promise<KubernetesLocal> {
  const [{ interfaces, defaultRoute: route }, existing, reachable, prepared, diskFacts] = await Promise.all([
    gatherNetwork(env.host),
    existingConfig(env),
    reachableMasters(env),
    preparedManifests(env),
    disk ? disk() : Promise.resolve(undefined),
  ]);
  return {
    interfaces,
    defaultRoute: route,
    existingConfig: existing,
    newToken: randomBytes(24).toString('hex'),
    reachableMasters: reachable,
    preparedManifests: prepared,
    disk: diskFacts,
  };
}
