// Canal (flannel between nodes, Calico policy on them), RKE2's `rke2-canal` chart. kube-proxy runs
// with canal, so nothing about the API server is needed here.

import { generatedOrUser, helmChartConfig } from './manifest-file.ts';
import type { Addon } from './addon.ts';

export const CANAL_CONFIG_FILE = 'rke2-canal-config.yaml';

export const canal: Addon = {
  name: 'canal',
  appliesTo: (config) => config.k8s.cni === 'canal',
  manifests: (config) => [
    generatedOrUser(CANAL_CONFIG_FILE, config.k8s.cniConfig, () => [
      // VXLAN is the chart's default and crosses any network the VMs share. Pinned because the
      // flannel backend cannot change on a running cluster: a new chart default must not switch it.
      helmChartConfig('rke2-canal', { flannel: { backend: 'vxlan' } }),
    ]),
  ],
};
