// Paths of RKE2 and of the appliance on a Kubernetes node (contract sections 2 and 6).

export const RKE2_CONFIG = '/etc/rancher/rke2/config.yaml';
export const RKE2_KUBECONFIG = '/etc/rancher/rke2/rke2.yaml';
export const RKE2_NODE_TOKEN = '/var/lib/rancher/rke2/server/node-token';
export const RKE2_MANIFESTS = '/var/lib/rancher/rke2/server/manifests';
export const RKE2_SERVER_CA = '/var/lib/rancher/rke2/server/tls/server-ca.crt';
export const RKE2_ADMIN_CERT = '/var/lib/rancher/rke2/server/tls/client-admin.crt';
export const RKE2_ADMIN_KEY = '/var/lib/rancher/rke2/server/tls/client-admin.key';
export const RKE2_AIRGAP_IMAGES = '/var/lib/rancher/rke2/agent/images';
export const RKE2_SERVER_ENV = '/etc/default/rke2-server';
export const RKE2_AGENT_ENV = '/etc/default/rke2-agent';
export const RKE2_SERVER_UNIT = 'rke2-server.service';
export const RKE2_AGENT_UNIT = 'rke2-agent.service';

export { PREPARED_MANIFESTS } from '../../addons/prepared-manifest.ts';
/** Where `oneke install` keeps the downloaded chart archives. */
export const CHART_ARCHIVES = '/var/lib/one-appliance/charts';

/** Ports of RKE2 (contract section 7). */
export const SUPERVISOR_PORT = 9345;
export const API_PORT = 6443;
/** Workers serve ingress on the LB port + this (Traefik's NodePorts 32443 and 32080). */
export { NODEPORT_OFFSET } from '../../addons/traefik.ts';
