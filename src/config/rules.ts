// Checks that involve several variables (changesets style: one small named function per rule). They
// run after every single value has been parsed, on the assembled config, and only report.

import { ConfigError } from '../errors.ts';
import type { ConfigIssue } from '../errors.ts';
import type { RoleName } from '../plan/plan.ts';
import type { Config } from './config.ts';
import { ipv4ToNumber } from '../net/address.ts';
import { showValue } from './show-value.ts';
import { nicAddresses, tryResolvePlaceholder } from './placeholders.ts';

export interface RuleContext {
  readonly config: Config;
  /** Records an issue for `variable`, showing its value as the context gave it. */
  report(variable: string, expected: string): void;
  /** True when a variable (a name, or every name a pattern matches) already has an issue: the rule cannot judge it. */
  hasIssue(variable: string | RegExp): boolean;
}

export type Rule = (context: RuleContext) => void;

/** MetalLB with nothing to hand out is a broken install, not a default. */
export const metallbNeedsAddresses: Rule = ({ config, report, hasIssue }) => {
  const { metallb } = config.addons;
  if (!metallb.enabled || metallb.ranges.length > 0 || metallb.config !== undefined) return;
  if (hasIssue(/^ONEAPP_K8S_METALLB_(RANGE|CONFIG)/)) return;
  report('ONEAPP_K8S_METALLB_ENABLED', 'NO, unless ONEAPP_K8S_METALLB_RANGE* or ONEAPP_K8S_METALLB_CONFIG gives MetalLB addresses');
};

/** Two HAProxy frontends cannot bind the same address and port. */
export const loadBalancerBindsAreUnique: Rule = ({ config, report, hasIssue }) => {
  const seen = new Map<string, number>();
  for (const lb of config.loadBalancers) {
    if (lb.ip === undefined || hasIssue(`ONEAPP_VNF_HAPROXY_LB${lb.index}_IP`) || hasIssue(`ONEAPP_VNF_HAPROXY_LB${lb.index}_PORT`)) continue;
    const bind = `${lb.ip}:${lb.port}`;
    const earlier = seen.get(bind);
    if (earlier === undefined) seen.set(bind, lb.index);
    else report(`ONEAPP_VNF_HAPROXY_LB${lb.index}_PORT`, `a port that LB${earlier} does not already use on ${lb.ip}`);
  }
};

/** Pods and services must be told apart by address. */
export const podAndServiceNetworksAreDisjoint: Rule = ({ config, report, hasIssue }) => {
  if (hasIssue('ONEAPP_K8S_CLUSTER_CIDR') || hasIssue('ONEAPP_K8S_SERVICE_CIDR')) return;
  const { clusterCidr, serviceCidr } = config.k8s;
  if (cidrsOverlap(clusterCidr, serviceCidr)) {
    report('ONEAPP_K8S_SERVICE_CIDR', `a network that does not overlap ONEAPP_K8S_CLUSTER_CIDR (${clusterCidr})`);
  }
};

/** PASS authentication exists only in VRRPv2, whose adverts carry whole seconds. */
export const vrrpPasswordNeedsWholeSeconds: Rule = ({ config, report, hasIssue }) => {
  for (const nic of Object.values(config.keepalived.perNic)) {
    if (nic.skip || nic.password === undefined || Number.isInteger(nic.intervalSeconds)) continue;
    const own = `ONEAPP_VNF_KEEPALIVED_ETH${nic.index}_INTERVAL`;
    if (hasIssue(own) || hasIssue('ONEAPP_VNF_KEEPALIVED_INTERVAL')) continue;
    const variable = config.keepalived.intervalSeconds === nic.intervalSeconds ? 'ONEAPP_VNF_KEEPALIVED_INTERVAL' : own;
    report(variable, `whole seconds while a keepalived password is set for ${nic.nic} (PASS authentication is VRRPv2 only)`);
    return;
  }
};

/** A DNS server with neither TCP nor UDP would answer nobody. */
export const dnsNeedsATransport: Rule = ({ config, report }) => {
  if (config.network.dnsEnabled && !config.dns.tcp && !config.dns.udp) report('ONEAPP_VNF_DNS_UDP_DISABLED', 'NO while ONEAPP_VNF_DNS_TCP_DISABLED=YES: the DNS would answer on neither');
};

/** A listen entry naming a NIC must name one the VNF has. */
export const dnsInterfacesExist: Rule = ({ config, report, hasIssue }) => {
  if (!config.network.dnsEnabled || hasIssue('ONEAPP_VNF_DNS_INTERFACES')) return;
  const missing = (config.dns.interfaces ?? []).find((entry) => entry.nic !== undefined && !config.nics.some((nic) => nic.name === entry.nic));
  if (missing !== undefined) report('ONEAPP_VNF_DNS_INTERFACES', `NICs of this VM (${config.nics.map((n) => n.name).join(', ') || 'none'}); there is no ${missing.nic ?? ''}`);
};

/** A placeholder must name an address the context gives this VM, else the VNF fails later at plan time. */
export const placeholdersResolve: Rule = ({ config, report, hasIssue }) => {
  const nics = nicAddresses(config);
  const check = (variable: string, value: string | undefined): void => {
    if (value === undefined || hasIssue(variable)) return;
    const result = tryResolvePlaceholder(value, nics);
    if (!result.ok) report(variable, `a placeholder for an address of this VM: ${result.reason}`);
  };
  for (const lb of config.loadBalancers) {
    check(`ONEAPP_VNF_HAPROXY_LB${lb.index}_IP`, lb.ip);
    for (const server of lb.staticServers) check(`ONEAPP_VNF_HAPROXY_LB${lb.index}_SERVER${server.index}_HOST`, server.host);
  }
  for (const forward of config.nat4.portForwards) {
    check(`ONEAPP_VNF_NAT4_PORT_FWD${forward.index}`, forward.address);
    check(`ONEAPP_VNF_NAT4_PORT_FWD${forward.index}`, forward.destination);
  }
};

/**
 * Sizes Kubernetes accepts. Every node takes a /24 of the pod network (RKE2's node-cidr-mask-size),
 * so the pod network needs room for more than one; kube-apiserver refuses a service network larger
 * than a /12, and the 1st and 10th addresses of it are the API's and CoreDNS's (so at least a /28).
 */
export const CLUSTER_CIDR_MAX_PREFIX = 23;
export const SERVICE_CIDR_PREFIX = { min: 12, max: 28 } as const;

const prefixOf = (cidr: string): number => Number(cidr.split('/')[1]);

export const networkSizesFitKubernetes: Rule = ({ config, report, hasIssue }) => {
  const { clusterCidr, serviceCidr } = config.k8s;
  if (!hasIssue('ONEAPP_K8S_CLUSTER_CIDR') && prefixOf(clusterCidr) > CLUSTER_CIDR_MAX_PREFIX) {
    report('ONEAPP_K8S_CLUSTER_CIDR', `a network of /${CLUSTER_CIDR_MAX_PREFIX} or larger (every node takes a /24 of it), like 10.42.0.0/16`);
  }
  const servicePrefix = prefixOf(serviceCidr);
  if (!hasIssue('ONEAPP_K8S_SERVICE_CIDR') && (servicePrefix < SERVICE_CIDR_PREFIX.min || servicePrefix > SERVICE_CIDR_PREFIX.max)) {
    report('ONEAPP_K8S_SERVICE_CIDR', `a network from /${SERVICE_CIDR_PREFIX.min} to /${SERVICE_CIDR_PREFIX.max} (kube-apiserver's limits), like 10.43.0.0/16`);
  }
};

/** Pod and service addresses must not shadow the networks the VMs live on (routes would go astray). */
export const clusterNetworksAvoidNics: Rule = ({ config, report, hasIssue }) => {
  const { clusterCidr, serviceCidr } = config.k8s;
  for (const [variable, cidr] of [
    ['ONEAPP_K8S_CLUSTER_CIDR', clusterCidr],
    ['ONEAPP_K8S_SERVICE_CIDR', serviceCidr],
  ] as const) {
    if (hasIssue(variable)) continue;
    const nic = config.nics.find((n) => n.ip !== undefined && n.prefixLength !== undefined && cidrsOverlap(cidr, `${n.ip}/${n.prefixLength}`));
    if (nic !== undefined) report(variable, `a network that does not overlap the network of ${nic.name} (${nic.ip}/${nic.prefixLength})`);
  }
};

/** MetalLB hands out addresses that must not be pods' or services'. */
export const metallbRangesAvoidClusterNetworks: Rule = ({ config, report, hasIssue }) => {
  const { metallb } = config.addons;
  if (!metallb.enabled || hasIssue(/^ONEAPP_K8S_METALLB_RANGE/)) return;
  for (const [variable, cidr] of [
    ['ONEAPP_K8S_CLUSTER_CIDR', config.k8s.clusterCidr],
    ['ONEAPP_K8S_SERVICE_CIDR', config.k8s.serviceCidr],
  ] as const) {
    if (hasIssue(variable)) continue;
    const [first, last] = cidrRange(cidr);
    const clash = metallb.ranges.find((range) => ipv4ToNumber(range.first) <= last && first <= ipv4ToNumber(range.last));
    if (clash !== undefined) {
      report('ONEAPP_K8S_METALLB_ENABLED', `ranges outside ${variable} (${cidr}); ${clash.first}-${clash.last} is inside it`);
      return;
    }
  }
};

export const RULES: readonly Rule[] = [
  placeholdersResolve,
  metallbNeedsAddresses,
  loadBalancerBindsAreUnique,
  podAndServiceNetworksAreDisjoint,
  networkSizesFitKubernetes,
  clusterNetworksAvoidNics,
  metallbRangesAvoidClusterNetworks,
  vrrpPasswordNeedsWholeSeconds,
  dnsNeedsATransport,
  dnsInterfacesExist,
];

function cidrRange(cidr: string): [number, number] {
  const [address = '', prefix = '32'] = cidr.split('/');
  const size = 2 ** (32 - Number(prefix));
  const first = Math.floor(ipv4ToNumber(address) / size) * size;
  return [first, first + size - 1];
}

export function cidrsOverlap(a: string, b: string): boolean {
  const [aFirst, aLast] = cidrRange(a);
  const [bFirst, bLast] = cidrRange(b);
  return aFirst <= bLast && bFirst <= aLast;
}

/**
 * What a role needs beyond a valid config. Parsing cannot require these, because the VNF runs without
 * them and the role is only known later (from OneGate); so the roles call this. The Kubernetes roles
 * need the supervisor endpoint to join, and masters the control-plane endpoint as well.
 */
export function missingForRole(config: Config, role: RoleName): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const need = (present: boolean, variable: string, expected: string): void => {
    if (!present) issues.push({ variable, shown: showValue(''), expected });
  };
  if (role !== 'vnf') {
    need(config.endpoints.supervisor !== undefined, 'ONEAPP_RKE2_SUPERVISOR_EP', `host:port of the RKE2 supervisor, or ONEAPP_VROUTER_ETH0_VIP0 to derive it (required on a ${role})`);
  }
  if (role === 'master') {
    need(config.endpoints.controlPlane !== undefined, 'ONEAPP_K8S_CONTROL_PLANE_EP', 'host:port of the Kubernetes API, or ONEAPP_VROUTER_ETH0_VIP0 to derive it (required on a master)');
  }
  return issues;
}

/** @throws ConfigError listing what the role is missing. */
export function requireFor(config: Config, role: RoleName): void {
  const issues = missingForRole(config, role);
  if (issues.length > 0) throw new ConfigError(issues);
}
