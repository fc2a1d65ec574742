// Longhorn, the storage add-on: its chart is prepared at image build (with the `longhorn-retain`
// StorageClass beside it) and linked when ONEAPP_K8S_LONGHORN_ENABLED is on. Its disks live on the
// storage nodes, which RKE2 taints and labels for it (contract section 6).

import type { ChartAddon } from './addon.ts';
import { entriesAt } from './addon.ts';
import type { KubernetesObject } from './manifest-file.ts';

/** The storage role's taint and label (contract section 6), which Longhorn tolerates and selects. */
export const STORAGE_NODE_LABEL = 'node.longhorn.io/create-default-disk';
export const STORAGE_NODE_TAINT = `${STORAGE_NODE_LABEL}=true:NoSchedule`;

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

/** The `longhorn-retain` StorageClass: Longhorn volumes that outlive their claim. */
export function longhornRetainStorageClass(): KubernetesObject {
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

export const longhorn: ChartAddon = {
  name: 'longhorn',
  appliesTo: (config) => config.addons.longhorn.enabled,
  chart: {
    title: 'Longhorn chart',
    version: (config) => config.versions.longhornChart,
    url: (v) => `https://github.com/longhorn/charts/releases/download/longhorn-${v}/longhorn-${v}.tgz`,
    index: 'https://charts.longhorn.io/index.yaml',
    release: { name: 'one-longhorn', namespace: 'longhorn-system' },
    values: () => longhornValues(),
    extraObjects: () => [longhornRetainStorageClass()],
    // Every `image.longhorn.*` and `image.csi.*` entry, as Longhorn's own air-gap list
    // (deploy/longhorn-images.txt) names them.
    images: (values) => ['longhorn', 'csi'].flatMap((group) => entriesAt(values, 'image', group).map(([key, entry]) => ({ entry, where: `image.${group}.${key}` }))),
  },
};
