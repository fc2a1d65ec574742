// The add-on HelmChart manifests that `oneke install` prepares (contract section 6): each chart
// archive embedded base64 in a helm.cattle.io/v1 HelmChart, so that RKE2's helm-controller installs
// it without reaching any chart repository. Configure links the enabled ones into RKE2's manifests
// folder. Pure: no I/O.

import { stringify } from 'yaml';
import type { Config } from '../config/index.ts';
import { PREPARED_MANIFESTS } from '../roles/kubernetes/paths.ts';
import { ADDONS, type Addon } from './artifacts.ts';

/** The storage role's taint and label (contract section 6), which Longhorn tolerates and selects. */
export const STORAGE_NODE_LABEL = 'node.longhorn.io/create-default-disk';
export const STORAGE_NODE_TAINT = `${STORAGE_NODE_LABEL}=true:NoSchedule`;

/** Traefik's NodePorts: the VNF forwards LB3 (80) and LB2 (443) to these on the workers. */
export const TRAEFIK_NODE_PORTS = { web: 32080, websecure: 32443 } as const;
export const TRAEFIK_REPLICAS = 2;

/** HelmChart names and target namespaces, as the reference names them (existing clusters keep theirs). */
export const ADDON_RELEASES: Readonly<Record<Addon, { readonly name: string; readonly namespace: string }>> = {
  longhorn: { name: 'one-longhorn', namespace: 'longhorn-system' },
  metallb: { name: 'one-metallb', namespace: 'metallb-system' },
  traefik: { name: 'one-traefik', namespace: 'traefik-system' },
};

export interface PreparedManifest {
  readonly addon: Addon;
  /** File name, also the name of the link in RKE2's manifests folder: `one-longhorn.yaml`. */
  readonly name: string;
  /** VM path of the prepared file, under PREPARED_MANIFESTS. */
  readonly path: string;
}

/** The prepared manifest of an add-on. */
export function preparedManifest(addon: Addon): PreparedManifest {
  const name = `${ADDON_RELEASES[addon].name}.yaml`;
  return { addon, name, path: `${PREPARED_MANIFESTS}/${name}` };
}

/** The prepared manifests of the add-ons that `config` enables, in a fixed order (for configure to link). */
export function preparedManifestNames(config: Config): PreparedManifest[] {
  return ADDONS.filter((addon) => config.addons[addon].enabled).map(preparedManifest);
}

const storageToleration = { key: STORAGE_NODE_LABEL, operator: 'Equal', value: 'true', effect: 'NoSchedule' };
const storageSelector = { [STORAGE_NODE_LABEL]: 'true' };

/**
 * Longhorn: disks only on labelled (storage) nodes; every Longhorn part tolerates the storage taint.
 * The manager runs on every node (a worker needs it to attach a volume); the driver deployer and UI
 * are kept on storage nodes, as in the reference.
 */
export function longhornValues(): Record<string, unknown> {
  return {
    defaultSettings: {
      createDefaultDiskLabeledNodes: true,
      taintToleration: STORAGE_NODE_TAINT,
    },
    longhornManager: { tolerations: [storageToleration] },
    longhornDriver: { tolerations: [storageToleration], nodeSelector: storageSelector },
    longhornUI: { tolerations: [storageToleration], nodeSelector: storageSelector },
  };
}

/** MetalLB serves only Services of its LoadBalancerClass (ONEAPP_K8S_METALLB_CLASS). */
export function metallbValues(loadBalancerClass: string): Record<string, unknown> {
  return {
    loadBalancerClass,
    controller: { image: { pullPolicy: 'IfNotPresent' } },
    speaker: { image: { pullPolicy: 'IfNotPresent' } },
  };
}

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

/** Values of an add-on's HelmChart. */
export function addonValues(addon: Addon, config: Config): Record<string, unknown> {
  switch (addon) {
    case 'longhorn':
      return longhornValues();
    case 'metallb':
      return metallbValues(config.addons.metallb.loadBalancerClass);
    case 'traefik':
      return traefikValues();
  }
}

/** The `longhorn-retain` StorageClass: Longhorn volumes that outlive their claim. */
export function longhornRetainStorageClass(): Record<string, unknown> {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'longhorn-retain' },
    provisioner: 'driver.longhorn.io',
    allowVolumeExpansion: true,
    reclaimPolicy: 'Retain',
    volumeBindingMode: 'Immediate',
    parameters: { fsType: 'ext4', numberOfReplicas: '3', staleReplicaTimeout: '2880' },
  };
}

// No anchors and aliases for shared objects (the tolerations): plain YAML for people and for Helm.
const YAML_OPTIONS = { lineWidth: 0, aliasDuplicateObjects: false } as const;

/** The HelmChart object of an add-on, with the chart archive's bytes embedded. */
export function helmChart(addon: Addon, chartArchive: Uint8Array, config: Config): Record<string, unknown> {
  const release = ADDON_RELEASES[addon];
  return {
    apiVersion: 'helm.cattle.io/v1',
    kind: 'HelmChart',
    metadata: { name: release.name, namespace: 'kube-system' },
    spec: {
      targetNamespace: release.namespace,
      createNamespace: true,
      chartContent: Buffer.from(chartArchive).toString('base64'),
      valuesContent: stringify(addonValues(addon, config), YAML_OPTIONS),
    },
  };
}

/** The whole manifest file of an add-on: its HelmChart, plus the StorageClass for Longhorn. */
export function addonManifest(addon: Addon, chartArchive: Uint8Array, config: Config): string {
  const documents = [helmChart(addon, chartArchive, config), ...(addon === 'longhorn' ? [longhornRetainStorageClass()] : [])];
  const header = `# Prepared by \`oneke install\` from the ${addon} chart archive; \`oneke configure\` links it when the add-on is enabled.\n`;
  return header + documents.map((document) => `---\n${stringify(document, YAML_OPTIONS)}`).join('');
}

/**
 * A HelmChartConfig that sets MetalLB's LoadBalancerClass over the prepared manifest's. The class is
 * a context variable (known at boot) while the manifest is made at image build: configure can write
 * this next to the linked manifest when ONEAPP_K8S_METALLB_CLASS differs from the build's.
 */
export function metallbClassOverride(loadBalancerClass: string): string {
  return `---\n${stringify(
    {
      apiVersion: 'helm.cattle.io/v1',
      kind: 'HelmChartConfig',
      metadata: { name: ADDON_RELEASES.metallb.name, namespace: 'kube-system' },
      spec: { valuesContent: stringify({ loadBalancerClass }, YAML_OPTIONS) },
    },
    YAML_OPTIONS,
  )}`;
}
