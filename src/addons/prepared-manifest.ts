// The add-on HelmChart manifests that `oneke install` prepares (contract section 6): each chart
// archive embedded base64 in a helm.cattle.io/v1 HelmChart, so that RKE2's helm-controller installs
// it without reaching any chart repository. Configure links the enabled ones into RKE2's manifests
// folder. Pure: no I/O.

import type { Config } from '../config/index.ts';
import type { ChartAddonName } from './addon.ts';
import { CHART_ADDONS, chartAddon } from './registry.ts';
import { HELM_API, RKE2_CHART_NAMESPACE, toPlainYaml } from './manifest-file.ts';

/** Where `oneke install` leaves the add-on HelmChart manifests; configure links the enabled ones. */
export const PREPARED_MANIFESTS = '/var/lib/one-appliance/manifests';

export interface PreparedManifest {
  readonly addon: ChartAddonName;
  /** File name, also the name of the link in RKE2's manifests folder: `one-longhorn.yaml`. */
  readonly name: string;
  /** VM path of the prepared file, under PREPARED_MANIFESTS. */
  readonly path: string;
}

/** The prepared manifest of an add-on. */
export function preparedManifest(addon: ChartAddonName): PreparedManifest {
  const name = `${chartAddon(addon).chart.release.name}.yaml`;
  return { addon, name, path: `${PREPARED_MANIFESTS}/${name}` };
}

/** The prepared manifests of the add-ons that `config` enables, in a fixed order (for configure to link). */
export function preparedManifestNames(config: Config): PreparedManifest[] {
  return CHART_ADDONS.filter((addon) => addon.appliesTo(config)).map((addon) => preparedManifest(addon.name));
}

/** Values of an add-on's HelmChart. */
export function addonValues(addon: ChartAddonName, config: Config): Record<string, unknown> {
  return chartAddon(addon).chart.values(config);
}

/** The HelmChart object of an add-on, with the chart archive's bytes embedded. */
export function helmChart(addon: ChartAddonName, chartArchive: Uint8Array, config: Config): Record<string, unknown> {
  const release = chartAddon(addon).chart.release;
  return {
    apiVersion: HELM_API,
    kind: 'HelmChart',
    metadata: { name: release.name, namespace: RKE2_CHART_NAMESPACE },
    spec: {
      targetNamespace: release.namespace,
      createNamespace: true,
      chartContent: Buffer.from(chartArchive).toString('base64'),
      valuesContent: toPlainYaml(addonValues(addon, config)),
    },
  };
}

/** The whole manifest file of an add-on: its HelmChart, plus what the add-on adds (Longhorn's StorageClass). */
export function addonManifest(addon: ChartAddonName, chartArchive: Uint8Array, config: Config): string {
  const documents = [helmChart(addon, chartArchive, config), ...(chartAddon(addon).chart.extraObjects?.() ?? [])];
  const header = `# Prepared by \`oneke install\` from the ${addon} chart archive; \`oneke configure\` links it when the add-on is enabled.\n`;
  return header + documents.map((document) => `---\n${toPlainYaml(document)}`).join('');
}
