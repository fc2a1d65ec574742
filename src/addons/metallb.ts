// MetalLB's address pool and its layer-2 announcement. The MetalLB HelmChart itself is prepared at
// install time; these objects need its CRDs, so RKE2's deploy controller retries them until it runs.

import type { AddressRange, Config } from '../config/index.ts';
import { ipv4ToNumber, isIpv4 } from '../config/parsers.ts';
import { InternalError } from '../errors.ts';
import { generatedOrUser } from './manifest-file.ts';
import type { Addon, KubernetesObject } from './manifest-file.ts';

/** Not `one-metallb.yaml`: that is the prepared HelmChart, and RKE2 names an Addon after the file. */
export const METALLB_CONFIG_FILE = 'one-metallb-config.yaml';
export const METALLB_NAMESPACE = 'metallb-system';
export const METALLB_POOL_NAME = 'default';
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

export const metallb: Addon = {
  name: 'metallb',
  appliesTo: (config) => config.addons.metallb.enabled,
  manifests: (config) => [generatedOrUser(METALLB_CONFIG_FILE, config.addons.metallb.config, () => metallbObjects(config))],
};
