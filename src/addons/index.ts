// The add-ons (contract §6, "Add-ons"): one registry (registry.ts) that `oneke install` and the node
// plan both read, one file per add-on. An explicit, ordered registry: no directory scanning, and the
// order of the files is stable. Here: the manifests a master writes into RKE2's manifests folder, and
// the settings that have no effect.

import type { Config } from '../config/index.ts';
import { InternalError } from '../errors.ts';
import type { Addon, IgnoredAddonSetting } from './addon.ts';
import type { ManifestFile } from './manifest-file.ts';
import { ADDONS } from './registry.ts';

export type { Addon, AddonChart, ChartAddon, ChartAddonName, ChartImageEntry, IgnoredAddonSetting } from './addon.ts';
export { entriesAt, isRecord, valueAt } from './addon.ts';
export type { ManifestFile } from './manifest-file.ts';
export { ADDONS, CHART_ADDONS, chartAddon } from './registry.ts';
export { CALICO_CONFIG_FILE } from './calico.ts';
export { CANAL_CONFIG_FILE } from './canal.ts';
export { CILIUM_CONFIG_FILE, CILIUM_POOL_NAME, ciliumPoolApiVersion } from './cilium.ts';
export type { CiliumPoolApiVersion } from './cilium.ts';
export { longhornRetainStorageClass, longhornValues, STORAGE_NODE_LABEL, STORAGE_NODE_TAINT } from './longhorn.ts';
export {
  METALLB_CLASS_FILE,
  METALLB_CONFIG_FILE,
  METALLB_NAMESPACE,
  METALLB_POOL_NAME,
  METALLB_RELEASE,
  metallbAddress,
  metallbChartValues,
  metallbClassOverride,
} from './metallb.ts';
export { MULTUS_CONFIG_FILE } from './multus.ts';
export { addonManifest, addonValues, helmChart, preparedManifest, preparedManifestNames } from './prepared-manifest.ts';
export type { PreparedManifest } from './prepared-manifest.ts';
export { NODEPORT_OFFSET, TRAEFIK_NODE_PORTS, TRAEFIK_REPLICAS, traefikValues } from './traefik.ts';

/** RKE2 names the Addon that tracks a file after the part before its first dot. */
function addonNameOf(fileName: string): string {
  return fileName.split('.', 1)[0] ?? fileName;
}

/** Everything a master writes, in a stable order. `addons` is a seam for tests. */
export function addonManifests(config: Config, addons: readonly Addon[] = ADDONS): ManifestFile[] {
  const files = addons.filter((addon) => addon.appliesTo(config)).flatMap((addon) => addon.manifests?.(config) ?? []);
  // Two files with one Addon name would prune each other's objects in turn.
  const seen = new Set<string>();
  for (const file of files) {
    const name = addonNameOf(file.name);
    if (seen.has(name)) throw new InternalError(`two add-on manifests are both tracked by RKE2 as ${name}`);
    seen.add(name);
  }
  return files;
}

/**
 * Settings that are valid on their own but have no effect here, so that nothing is dropped without a
 * word: the caller logs them as warnings (or a config rule turns them into issues). Each add-on
 * says which of its own settings it ignores, in the registry's order.
 */
export function ignoredAddonSettings(config: Config, addons: readonly Addon[] = ADDONS): IgnoredAddonSetting[] {
  return addons.flatMap((addon) => addon.ignoredSettings?.(config) ?? []);
}
