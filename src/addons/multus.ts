// Multus, RKE2's `rke2-multus` chart, in front of the primary CNI (RKE2's `cni` list puts it first).
// Whereabouts gives the extra interfaces cluster-wide IP management, which Multus alone lacks.

import { generatedOrUser, helmChartConfig } from './manifest-file.ts';
import type { Addon } from './addon.ts';

export const MULTUS_CONFIG_FILE = 'rke2-multus-config.yaml';

export const multus: Addon = {
  name: 'multus',
  appliesTo: (config) => config.k8s.multus.enabled,
  manifests: (config) => [generatedOrUser(MULTUS_CONFIG_FILE, config.k8s.multus.config, () => [helmChartConfig('rke2-multus', { 'rke2-whereabouts': { enabled: true } })])],
  ignoredSettings: (config) => {
    const settings = config.k8s.multus;
    return !settings.enabled && settings.config !== undefined ? [{ variable: 'ONEAPP_K8S_MULTUS_CONFIG', reason: 'ONEAPP_K8S_MULTUS_ENABLED is NO' }] : [];
  },
};
