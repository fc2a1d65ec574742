// MetalLB: its chart is prepared at image build and linked when ONEAPP_K8S_METALLB_ENABLED is on; at
// boot a master writes the address pool and its layer-2 announcement, and the class of the boot-time
// variable over the prepared chart's. The pool needs the chart's CRDs, so RKE2's deploy controller
// retries it until MetalLB runs.

import type { AddressRange, Config } from '../config/index.ts';
import { ipv4ToNumber, isIpv4 } from '../config/parsers.ts';
import { InternalError } from '../errors.ts';
import type { ChartAddon, IgnoredAddonSetting } from './addon.ts';
import { valueAt } from './addon.ts';
import { generatedOrUser, HELM_API, RKE2_CHART_NAMESPACE, toPlainYaml } from './manifest-file.ts';
import type { KubernetesObject } from './manifest-file.ts';

/** Not `one-metallb.yaml`: that is the prepared HelmChart, and RKE2 names an Addon after the file. */
export const METALLB_CONFIG_FILE = 'one-metallb-config.yaml';
export const METALLB_NAMESPACE = 'metallb-system';
export const METALLB_POOL_NAME = 'default';
/** The prepared HelmChart's name (as the reference names it) and the file of the class over it. */
export const METALLB_RELEASE = 'one-metallb';
export const METALLB_CLASS_FILE = 'one-metallb-class.yaml';
const METALLB_API = 'metallb.io/v1beta1';

/** MetalLB's address forms: `A-B` for a range, a `/32` CIDR for a single address. */
export function metallbAddress(range: AddressRange): string {
  const { first, last } = range;
  // Config validation guarantees these; a range that breaks them is a bug upstream.
  if (!isIpv4(first) || !isIpv4(last) || ipv4ToNumber(first) > ipv4ToNumber(last)) {
    throw new InternalError(`MetalLB range ${JSON.stringify(range)} is not an ordered IPv4 range; the configuration should have rejected it`);
  }
  return first === last ? `${first}/32` : `${first}-${last}`;
}

function metallbObjects(config: Config): KubernetesObject[] {
  const { ranges } = config.addons.metallb;
  // The rule metallbNeedsAddresses refuses MetalLB without ranges or a config of its own.
  if (ranges.length === 0) throw new InternalError('MetalLB is enabled without address ranges or a config; the configuration should have rejected it');
  return [
    {
      apiVersion: METALLB_API,
      kind: 'IPAddressPool',
      metadata: { name: METALLB_POOL_NAME, namespace: METALLB_NAMESPACE },
      spec: { addresses: ranges.map(metallbAddress) },
    },
    {
      apiVersion: METALLB_API,
      kind: 'L2Advertisement',
      metadata: { name: METALLB_POOL_NAME, namespace: METALLB_NAMESPACE },
      spec: { ipAddressPools: [METALLB_POOL_NAME] },
    },
  ];
}

/**
 * Values for the MetalLB chart, for whoever renders its HelmChart: the class belongs there (the
 * controller's and speakers' `--lb-class`), not on the pool. With a class, MetalLB serves only the
 * Services that ask for it with `spec.loadBalancerClass`.
 */
export function metallbChartValues(config: Config): KubernetesObject {
  return { loadBalancerClass: config.addons.metallb.loadBalancerClass };
}

/**
 * A HelmChartConfig that sets MetalLB's LoadBalancerClass over the prepared manifest's. The class is
 * a context variable (known at boot) while the manifest is made at image build: configure can write
 * this next to the linked manifest when ONEAPP_K8S_METALLB_CLASS differs from the build's.
 */
export function metallbClassOverride(loadBalancerClass: string): string {
  return `---\n${toPlainYaml({
    apiVersion: HELM_API,
    kind: 'HelmChartConfig',
    metadata: { name: METALLB_RELEASE, namespace: RKE2_CHART_NAMESPACE },
    spec: { valuesContent: toPlainYaml({ loadBalancerClass }) },
  })}`;
}

/** The ranges and the user's config when MetalLB is off, the ranges when the user's config replaces the pool. */
function ignoredMetallbSettings(config: Config): IgnoredAddonSetting[] {
  const settings = config.addons.metallb;
  const ignored: IgnoredAddonSetting[] = [];
  const ignore = (variable: string, reason: string): void => {
    ignored.push({ variable, reason });
  };
  if (!settings.enabled) {
    if (settings.config !== undefined) ignore('ONEAPP_K8S_METALLB_CONFIG', 'ONEAPP_K8S_METALLB_ENABLED is NO');
    if (settings.ranges.length > 0) ignore('ONEAPP_K8S_METALLB_RANGE*', 'ONEAPP_K8S_METALLB_ENABLED is NO');
  } else if (settings.config !== undefined && settings.ranges.length > 0) {
    ignore('ONEAPP_K8S_METALLB_RANGE*', 'ONEAPP_K8S_METALLB_CONFIG replaces the generated MetalLB pool');
  }
  return ignored;
}

export const metallb: ChartAddon = {
  name: 'metallb',
  appliesTo: (config) => config.addons.metallb.enabled,
  manifests: (config) => [generatedOrUser(METALLB_CONFIG_FILE, config.addons.metallb.config, () => metallbObjects(config))],
  chart: {
    title: 'MetalLB chart',
    version: (config) => config.versions.metallbChart,
    url: (v) => `https://github.com/metallb/metallb/releases/download/metallb-chart-${v}/metallb-${v}.tgz`,
    index: 'https://metallb.github.io/metallb/index.yaml',
    release: { name: METALLB_RELEASE, namespace: METALLB_NAMESPACE },
    // MetalLB serves only Services of its LoadBalancerClass (ONEAPP_K8S_METALLB_CLASS).
    values: (config) => ({
      ...metallbChartValues(config),
      controller: { image: { pullPolicy: 'IfNotPresent' } },
      speaker: { image: { pullPolicy: 'IfNotPresent' } },
    }),
    // `controller.image`, `speaker.image` and, when FRR is on (the chart's default), `speaker.frr.image`.
    images: (values) => [
      { entry: valueAt(values, 'controller', 'image'), where: 'controller.image' },
      { entry: valueAt(values, 'speaker', 'image'), where: 'speaker.image' },
      ...(valueAt(values, 'speaker', 'frr', 'enabled') !== false ? [{ entry: valueAt(values, 'speaker', 'frr', 'image'), where: 'speaker.frr.image' }] : []),
    ],
  },
  ignoredSettings: ignoredMetallbSettings,
};
