// The files a master writes, and the few helpers that turn objects into manifest text.
// Pure: objects in, text out. YAML is always built as objects and stringified, never concatenated.

import { stringify } from 'yaml';
import { InternalError } from '../errors.ts';

/** One file a master writes into RKE2's manifests folder. */
export interface ManifestFile {
  /** The file name inside RKE2_MANIFESTS, e.g. `rke2-cilium-config.yaml`. */
  name: string;
  content: string;
}

/** Kubernetes objects as plain data, in the key order they are written. */
export type KubernetesObject = Readonly<Record<string, unknown>>;

/** helm-controller's API: HelmChart and HelmChartConfig. */
export const HELM_API = 'helm.cattle.io/v1';
/** RKE2's bundled charts live here, so their HelmChartConfigs must too; so do the prepared HelmCharts. */
export const RKE2_CHART_NAMESPACE = 'kube-system';

/**
 * YAML 1.1 because the readers (helm-controller, Helm, the deploy controller) are Go YAML 1.1
 * parsers: a value like `on` or `0777` is then quoted instead of turning into a boolean or a number.
 * No line width, so long values are never folded.
 */
function toYaml(value: unknown): string {
  return stringify(value, { version: '1.1', lineWidth: 0 });
}

// No anchors and aliases for shared objects (the tolerations): plain YAML for people and for Helm.
const PLAIN_YAML_OPTIONS = { lineWidth: 0, aliasDuplicateObjects: false } as const;

/** The YAML of the prepared manifests (`oneke install`) and of what configure lays over them. */
export function toPlainYaml(value: unknown): string {
  return stringify(value, PLAIN_YAML_OPTIONS);
}

/** One or more objects as one file: documents joined with `---`, ending with a newline. */
export function renderDocuments(objects: readonly KubernetesObject[]): string {
  if (objects.length === 0) throw new InternalError('a manifest file must hold at least one object');
  return objects.map(toYaml).join('---\n');
}

/** A HelmChartConfig that overlays `values` on the RKE2 chart of the same name. */
export function helmChartConfig(chart: string, values: KubernetesObject): KubernetesObject {
  return {
    apiVersion: HELM_API,
    kind: 'HelmChartConfig',
    metadata: { name: chart, namespace: RKE2_CHART_NAMESPACE },
    spec: { valuesContent: toYaml(values) },
  };
}

/**
 * The generated file, or the user's YAML in its place. The user's text is written byte for byte
 * (not re-serialised, not even given a final newline): it was already checked to be YAML mappings,
 * and any change could alter what the user meant (a `|+` block at the end, comments, anchors).
 */
export function generatedOrUser(name: string, userYaml: string | undefined, generate: () => readonly KubernetesObject[]): ManifestFile {
  return { name, content: userYaml ?? renderDocuments(generate()) };
}
