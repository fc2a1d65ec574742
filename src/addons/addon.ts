// The one shape of an add-on: everything oneke knows about it, declared once in its own file and
// read by both `oneke install` (the chart it prepares at image build) and the node plan (whether it
// applies, the manifests a master writes at boot). Pure: data and functions of the configuration.

import type { Config } from '../config/index.ts';
import type { KubernetesObject, ManifestFile } from './manifest-file.ts';

/** The add-ons whose chart `oneke install` downloads and prepares (contract section 6). */
export type ChartAddonName = 'longhorn' | 'metallb' | 'traefik';

/** One place where a chart's values.yaml names an image (`{registry?, repository, tag}`). */
export interface ChartImageEntry {
  readonly entry: unknown;
  /** For messages: `controller.image`. */
  readonly where: string;
}

/** The chart of an add-on: the artefact fetched at image build and the HelmChart made of it. */
export interface AddonChart {
  /** For messages: `Longhorn chart`. */
  readonly title: string;
  /** The version to fetch (an ONEAPP_K8S_*_CHART_VERSION). */
  readonly version: (config: Config) => string;
  /** Where the chart's own repository serves the archive: the URL its index.yaml lists. */
  readonly url: (version: string) => string;
  /** The repository index whose `digest` is the archive's SHA-256, for the "how to pin" message. */
  readonly index: string;
  /** HelmChart name and target namespace, as the reference names them (existing clusters keep theirs). */
  readonly release: { readonly name: string; readonly namespace: string };
  /** Values of the prepared HelmChart. */
  readonly values: (config: Config) => Record<string, unknown>;
  /** Objects the prepared manifest carries after the HelmChart. */
  readonly extraObjects?: () => KubernetesObject[];
  /** Where the chart names the images it runs, read from its values.yaml (air-gapped images). */
  readonly images: (values: unknown) => ChartImageEntry[];
}

/** A setting that the add-ons do not use with this configuration, for a warning. */
export interface IgnoredAddonSetting {
  readonly variable: string;
  readonly reason: string;
}

export interface Addon {
  readonly name: string;
  /** Whether this add-on is used with this configuration. */
  readonly appliesTo: (config: Config) => boolean;
  /** The files a master writes into RKE2's manifests folder at boot. Only called when `appliesTo` is true. */
  readonly manifests?: (config: Config) => ManifestFile[];
  /** The chart `oneke install` prepares at image build; configure links it when `appliesTo` is true. */
  readonly chart?: AddonChart;
  /** Its settings that have no effect with this configuration. Called whether it applies or not. */
  readonly ignoredSettings?: (config: Config) => IgnoredAddonSetting[];
}

/** An add-on with a prepared chart. */
export interface ChartAddon extends Addon {
  readonly name: ChartAddonName;
  readonly chart: AddonChart;
}

/** A YAML mapping, as parsed. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at a path of parsed YAML, or undefined where the path leads nowhere. */
export function valueAt(values: unknown, ...keys: string[]): unknown {
  let current = values;
  for (const key of keys) current = isRecord(current) ? current[key] : undefined;
  return current;
}

/** The entries of a mapping at a path (none when it is not a mapping). */
export function entriesAt(values: unknown, ...keys: string[]): [string, unknown][] {
  const found = valueAt(values, ...keys);
  return isRecord(found) ? Object.entries(found) : [];
}
