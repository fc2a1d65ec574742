// Calico, RKE2's `rke2-calico` chart (Tigera operator). kube-proxy runs with calico, so nothing about
// the API server is needed here.

import { generatedOrUser, helmChartConfig } from './manifest-file.ts';
import type { Addon } from './addon.ts';

export const CALICO_CONFIG_FILE = 'rke2-calico-config.yaml';

export const calico: Addon = {
  name: 'calico',
  appliesTo: (config) => config.k8s.cni === 'calico',
  manifests: (config) => [
    generatedOrUser(CALICO_CONFIG_FILE, config.k8s.cniConfig, () => [
      // No BGP peers exist on an OpenNebula network, so pods are reached over VXLAN (the chart's
      // default). Pinned for the same reason as canal's backend: it cannot change on a running cluster.
      helmChartConfig('rke2-calico', { installation: { calicoNetwork: { bgp: 'Disabled' } } }),
    ]),
  ],
};
