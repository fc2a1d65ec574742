// Cilium, RKE2's `rke2-cilium` chart: kube-proxy replacement (RKE2 runs without kube-proxy for
// cilium), the API server it must then reach directly, BGP on or off, and with BGP the pool of
// LoadBalancer addresses that the BGP control plane announces.

import type { Config, HostPort } from '../config/index.ts';
import { isIpv4, isIpv6 } from '../config/parsers.ts';
import { InternalError } from '../errors.ts';
import { generatedOrUser, helmChartConfig } from './manifest-file.ts';
import type { Addon, IgnoredAddonSetting } from './addon.ts';
import type { KubernetesObject } from './manifest-file.ts';

export const CILIUM_CONFIG_FILE = 'rke2-cilium-config.yaml';
export const CILIUM_POOL_NAME = 'default';

export type CiliumPoolApiVersion = 'cilium.io/v2' | 'cilium.io/v2alpha1';

/**
 * The first patch release of each RKE2 minor that ships Cilium 1.18 (rancher/rke2
 * charts/chart_versions.yaml: rke2-cilium 1.18.000 in v1.31.12, v1.32.8 and v1.33.4; every 1.34 and
 * later). Cilium 1.18 promoted CiliumLoadBalancerIPPool to cilium.io/v2 and deprecated v2alpha1;
 * earlier Cilium serves only v2alpha1.
 */
const FIRST_PATCH_WITH_CILIUM_1_18: Readonly<Record<number, number>> = { 31: 12, 32: 8, 33: 4 };

/**
 * The pool's apiVersion for the Cilium that this RKE2 version ships: v2 from Cilium 1.18 on (the
 * appliance's default, RKE2 v1.33.5, ships Cilium 1.18.1), where v2alpha1 is deprecated and goes away
 * in a later Cilium; v2alpha1 only for the older RKE2 releases whose Cilium knows nothing else.
 * A version this cannot read is taken as current.
 */
export function ciliumPoolApiVersion(rke2Version: string): CiliumPoolApiVersion {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(rke2Version);
  if (match === null) return 'cilium.io/v2';
  const [major, minor, patch] = [match[1], match[2], match[3]].map(Number) as [number, number, number];
  if (major > 1 || (major === 1 && minor >= 34)) return 'cilium.io/v2';
  const first = FIRST_PATCH_WITH_CILIUM_1_18[minor];
  return major === 1 && first !== undefined && patch >= first ? 'cilium.io/v2' : 'cilium.io/v2alpha1';
}

/** Config validation accepts only IPv4 and IPv6 CIDRs here; anything else is a bug upstream. */
function checkedCidr(cidr: string): string {
  const [address = '', prefix, extra] = cidr.split('/');
  const maxPrefix = isIpv4(address) ? 32 : isIpv6(address) ? 128 : -1;
  const length = prefix !== undefined && /^\d{1,3}$/.test(prefix) ? Number(prefix) : -1;
  if (extra !== undefined || maxPrefix < 0 || length < 0 || length > maxPrefix) {
    throw new InternalError(`Cilium LB range ${JSON.stringify(cidr)} is not a CIDR; the configuration should have rejected it`);
  }
  return cidr;
}

function controlPlaneOf(config: Config): HostPort {
  const endpoint = config.endpoints.controlPlane;
  // Masters require it (requireFor) before anything is planned.
  if (endpoint === undefined) throw new InternalError('Cilium needs the control-plane endpoint, which a master must have');
  return endpoint;
}

function ciliumValues(config: Config): KubernetesObject {
  const apiServer = controlPlaneOf(config);
  return {
    kubeProxyReplacement: true,
    // Without kube-proxy the `kubernetes` Service IP is not reachable until Cilium runs: it must
    // find the API server by address.
    k8sServiceHost: apiServer.host,
    k8sServicePort: apiServer.port,
    bgpControlPlane: { enabled: config.k8s.cilium.bgpEnabled },
    // Pinned as the reference pins them. The rke2-cilium chart would otherwise chain portmap, and
    // a oneke master joining a cluster the reference built would flip that cluster-wide setting.
    // Not exclusive: Multus keeps its config beside Cilium's in /etc/cni/net.d, and an exclusive
    // Cilium would rename it away.
    cni: { chainingMode: 'none', exclusive: false },
  };
}

function ciliumObjects(config: Config): KubernetesObject[] {
  const objects = [helmChartConfig('rke2-cilium', ciliumValues(config))];
  const { bgpEnabled, ranges } = config.k8s.cilium;
  // The pool only serves the BGP control plane (contract §6); without BGP nothing would announce it.
  if (bgpEnabled && ranges.length > 0) {
    objects.push({
      apiVersion: ciliumPoolApiVersion(config.versions.rke2),
      kind: 'CiliumLoadBalancerIPPool',
      metadata: { name: CILIUM_POOL_NAME },
      // As the reference: the network and broadcast addresses of a block are never handed out.
      spec: { blocks: ranges.map((cidr) => ({ cidr: checkedCidr(cidr) })), allowFirstLastIPs: 'No' },
    });
  }
  return objects;
}

/** BGP and the LB ranges, when another CNI runs, the user's config replaces ours, or BGP is off. */
function ignoredCiliumSettings(config: Config): IgnoredAddonSetting[] {
  const { cni, cniConfig, cilium: ciliumSettings } = config.k8s;
  const ignored: IgnoredAddonSetting[] = [];
  const ignore = (variable: string, reason: string): void => {
    ignored.push({ variable, reason });
  };
  const ciliumRanges = 'ONEAPP_K8S_CILIUM_RANGE*';
  if (cni !== 'cilium') {
    if (ciliumSettings.bgpEnabled) ignore('ONEAPP_K8S_CILIUM_BGP_ENABLED', `the CNI plugin is ${cni}, not cilium`);
    if (ciliumSettings.ranges.length > 0) ignore(ciliumRanges, `the CNI plugin is ${cni}, not cilium`);
  } else if (cniConfig !== undefined) {
    const reason = 'ONEAPP_K8S_CNI_CONFIG replaces the generated Cilium config';
    if (ciliumSettings.bgpEnabled) ignore('ONEAPP_K8S_CILIUM_BGP_ENABLED', reason);
    if (ciliumSettings.ranges.length > 0) ignore(ciliumRanges, reason);
  } else if (!ciliumSettings.bgpEnabled && ciliumSettings.ranges.length > 0) {
    ignore(ciliumRanges, 'the Cilium LB pool is made only with ONEAPP_K8S_CILIUM_BGP_ENABLED=YES');
  }
  return ignored;
}

export const cilium: Addon = {
  name: 'cilium',
  appliesTo: (config) => config.k8s.cni === 'cilium',
  // One file, so that dropping the pool later (BGP turned off) prunes it with the rest of the file.
  manifests: (config) => [generatedOrUser(CILIUM_CONFIG_FILE, config.k8s.cniConfig, () => ciliumObjects(config))],
  ignoredSettings: ignoredCiliumSettings,
};
