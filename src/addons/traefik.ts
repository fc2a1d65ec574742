// Traefik, the ingress add-on: its chart is prepared at image build and linked when
// ONEAPP_K8S_TRAEFIK_ENABLED is on. The VNF forwards the ingress ports to its NodePorts on the workers.

import type { ChartAddon } from './addon.ts';
import { valueAt } from './addon.ts';

/** Workers serve ingress on the LB port + this: the VNF forwards LB3 (80) and LB2 (443) to Traefik's NodePorts. */
export const NODEPORT_OFFSET = 32000;
/** Traefik's NodePorts: 32080 and 32443. */
export const TRAEFIK_NODE_PORTS = { web: 80 + NODEPORT_OFFSET, websecure: 443 + NODEPORT_OFFSET } as const;
export const TRAEFIK_REPLICAS = 2;

/**
 * Traefik: a NodePort Service on 32080/32443, 2 replicas on different hosts. A topology spread over
 * host names (not a required anti-affinity, as the reference has) keeps them apart whenever two
 * eligible nodes exist, yet lets both run on a one-worker cluster and never blocks a rolling update
 * (the surge pod of the new ReplicaSet is counted apart, through pod-template-hash). Tainted nodes
 * (masters, storage) are not counted as places Traefik could go.
 */
export function traefikValues(): Record<string, unknown> {
  return {
    deployment: { replicas: TRAEFIK_REPLICAS },
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'DoNotSchedule',
        nodeTaintsPolicy: 'Honor',
        labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'traefik' } },
        matchLabelKeys: ['pod-template-hash'],
      },
    ],
    service: { type: 'NodePort' },
    ports: {
      web: { nodePort: TRAEFIK_NODE_PORTS.web },
      websecure: { nodePort: TRAEFIK_NODE_PORTS.websecure },
    },
  };
}

export const traefik: ChartAddon = {
  name: 'traefik',
  appliesTo: (config) => config.addons.traefik.enabled,
  chart: {
    title: 'Traefik chart',
    version: (config) => config.versions.traefikChart,
    url: (v) => `https://traefik.github.io/charts/traefik/traefik-${v}.tgz`,
    index: 'https://traefik.github.io/charts/index.yaml',
    release: { name: 'one-traefik', namespace: 'traefik-system' },
    values: () => traefikValues(),
    // `image` (registry, repository, tag; an empty tag is the chart's appVersion).
    images: (values) => [{ entry: valueAt(values, 'image'), where: 'image' }],
  },
};
