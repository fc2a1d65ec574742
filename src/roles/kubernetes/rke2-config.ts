import { stringify } from 'yaml';
import type { Config, HostPort } from '../../config/index.ts';
import { STORAGE_NODE_LABEL, STORAGE_NODE_TAINT } from '../../addons/longhorn.ts';
import { InternalError } from '../../errors.ts';

// /etc/rancher/rke2/config.yaml for the four cases of contract section 6, and the proxy
// environment files. Pure.

export const STORAGE_TAINT = STORAGE_NODE_TAINT;
export const STORAGE_LABEL = `${STORAGE_NODE_LABEL}=true`;
export const MASTER_TAINT = 'CriticalAddonsOnly=true:NoExecute';

/** A token that exists only once RKE2 has started: written as this placeholder, filled in at apply time. */
export const NODE_TOKEN_PLACEHOLDER = '${NODE_TOKEN}';

export function supervisorUrl(endpoint: HostPort): string {
  return `https://${endpoint.host}:${endpoint.port}`;
}

export function requireEndpoint(endpoint: HostPort | undefined, name: string): HostPort {
  if (!endpoint) throw new InternalError(`${name} is required here and should have been checked with the configuration`);
  return endpoint;
}

/** The keys every server (initialising or joining) has. */
function serverKeys(config: Config, nodeName: string): Record<string, unknown> {
  const controlPlane = requireEndpoint(config.endpoints.controlPlane, 'the control-plane endpoint');
  // The public VIP too: it is what the control-plane name resolves to for users outside, who may
  // use the address (the published kubeconfig also names the host for TLS).
  const publicVip = config.network.publicVip;
  const tlsSan = [...new Set([...config.k8s.extraSans, controlPlane.host, ...(publicVip ? [publicVip] : [])])];
  return {
    'node-name': nodeName,
    'tls-san': tlsSan,
    'node-taint': [MASTER_TAINT],
    disable: ['rke2-ingress-nginx'],
    cni: [...(config.k8s.multus.enabled ? ['multus'] : []), config.k8s.cni],
    'cluster-cidr': config.k8s.clusterCidr,
    'service-cidr': config.k8s.serviceCidr,
    'disable-kube-proxy': config.k8s.cni === 'cilium',
    'disable-cloud-controller': !config.k8s.cloudControllerEnabled,
  };
}

function render(keys: Record<string, unknown>): string {
  return stringify(keys, { lineWidth: 0 });
}

/**
 * The config of the master that creates the cluster: a fresh token, no server. When an earlier run
 * got as far as the rewrite, its `server` and token are kept, so a crash never re-initialises.
 */
export function initialServerConfig(config: Config, nodeName: string, token: string, server?: string): string {
  const keys = serverKeys(config, nodeName);
  return render({ 'node-name': nodeName, ...(server ? { server } : {}), token, ...keys });
}

/** The first master's config once RKE2 runs: it rejoins through the supervisor with the secure token. */
export function rewrittenServerConfig(config: Config, nodeName: string): string {
  const server = supervisorUrl(requireEndpoint(config.endpoints.supervisor, 'the supervisor endpoint'));
  return render({ 'node-name': nodeName, server, token: NODE_TOKEN_PLACEHOLDER, ...serverKeys(config, nodeName) });
}

/** A master that joins an existing cluster. */
export function joiningServerConfig(config: Config, nodeName: string, token: string): string {
  const server = supervisorUrl(requireEndpoint(config.endpoints.supervisor, 'the supervisor endpoint'));
  return render({ 'node-name': nodeName, server, token, ...serverKeys(config, nodeName) });
}

/** A worker, or a storage node (labelled and tainted for Longhorn's replicas). */
export function agentConfig(config: Config, nodeName: string, token: string, storage: boolean): string {
  const server = supervisorUrl(requireEndpoint(config.endpoints.supervisor, 'the supervisor endpoint'));
  return render({
    'node-name': nodeName,
    server,
    token,
    ...(storage ? { 'node-taint': [STORAGE_TAINT], 'node-label': [STORAGE_LABEL] } : {}),
  });
}

/** `/etc/default/rke2-*`: the proxy for RKE2 and containerd, or undefined when none is set. */
export function proxyEnvironment(config: Config): string | undefined {
  const { http, https, noProxy } = config.k8s.proxy;
  if (!http && !https) return undefined;
  const lines = [...(http ? [`HTTP_PROXY=${http}`] : []), ...(https ? [`HTTPS_PROXY=${https}`] : []), `NO_PROXY=${noProxy.join(',')}`];
  return `${lines.join('\n')}\n`;
}

/** What an existing config.yaml says, so a re-run reuses its token and server. */
export interface ExistingRke2Config {
  token?: string;
  server?: string;
}
