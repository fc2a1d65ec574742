// Every context variable the agent reads, as data: name, kind, default, description. The parser, the
// docs page and the appliance-template cross-check all come from this one table. Names are the
// contract's (oneke-contract.md §3) and must stay exactly as they are.

import * as parsers from './parsers.ts';
import type { ValueParser } from './parsers.ts';

/** The parser behind each kind of value. */
export const VALUE_KINDS = {
  boolean: parsers.boolean,
  nonNegativeInteger: parsers.nonNegativeInteger,
  port: parsers.port,
  vrid: parsers.vrid,
  priority: parsers.priority,
  advertInterval: parsers.advertInterval,
  refreshRate: parsers.refreshRate,
  upstreamTimeout: parsers.upstreamTimeout,
  cacheTtl: parsers.cacheTtl,
  dnsForwarders: parsers.dnsForwarders,
  dnsListen: parsers.dnsListen,
  dnsDomain: parsers.dnsDomain,
  waitTimeout: parsers.waitTimeout,
  ipv4: parsers.ipv4,
  vip: parsers.vipAddress,
  portForward: parsers.portForward,
  lbAddress: parsers.lbAddress,
  serverHost: parsers.serverHost,
  macAddress: parsers.macAddress,
  netmask: parsers.netmask,
  nameservers: parsers.nameservers,
  ipv4Cidr: parsers.ipv4Cidr,
  cidrList: parsers.cidrList,
  addressRanges: parsers.addressRanges,
  endpoint: parsers.endpoint,
  sanList: parsers.sanList,
  noProxyList: parsers.noProxyList,
  onegateUrl: parsers.onegateUrl,
  proxyUrl: parsers.proxyUrl,
  cniName: parsers.cniName,
  filesystem: parsers.filesystem,
  interfaces: parsers.interfaces,
  version: parsers.version,
  loadBalancerClass: parsers.loadBalancerClass,
  mountPoint: parsers.mountPoint,
  devicePath: parsers.devicePath,
  keepalivedPassword: parsers.keepalivedPassword,
  token: parsers.token,
  base64Yaml: parsers.base64Yaml,
} as const satisfies Record<string, ValueParser<unknown>>;

export type ValueKind = keyof typeof VALUE_KINDS;
export type KindValue<K extends ValueKind> = (typeof VALUE_KINDS)[K] extends ValueParser<infer T> ? T : never;

export type VariableGroup = 'context' | 'versions' | 'network' | 'nics' | 'load balancers' | 'keepalived' | 'routing' | 'dns' | 'endpoints' | 'kubernetes' | 'add-ons' | 'storage';

export interface VariableSpec {
  /** The exact name, or for a family a template such as `ETH<n>_IP` or `ONEAPP_K8S_METALLB_RANGE*`. */
  readonly name: string;
  /** Families only: which names belong to it. An exact name elsewhere in the table wins over a family. */
  readonly pattern?: RegExp;
  readonly kind: ValueKind;
  /** The default as it would be written in the context; absent when there is none or it is derived. */
  readonly default?: string;
  /** A default computed from other variables, in words. */
  readonly derivedDefault?: string;
  /**
   * Never shown in issues, logs or plans, in any form (a config manifest may hold a BGP password, say);
   * not trimmed either (spaces would be part of it).
   */
  readonly secret?: boolean;
  readonly group: VariableGroup;
  readonly description: string;
}

/** A NIC index or other number inside a name: no leading zeros, so ETH01_IP is not ETH1_IP. */
const N = '(0|[1-9]\\d*)';

const LB_PORT_DEFAULTS = ['9345', '6443', '443', '80'] as const;
const LB_ROLES = ['RKE2 supervisor', 'Kubernetes API', 'HTTPS ingress', 'HTTP ingress'] as const;
const PUBLIC_VIP = 'ONEAPP_VROUTER_ETH0_VIP0';

export const VARIABLES: readonly VariableSpec[] = [
  // Context basics (contract §3.1).
  { name: 'ONEGATE_ENDPOINT', kind: 'onegateUrl', group: 'context', description: 'URL of the OneGate server, written by the context packages' },
  { name: 'VMID', kind: 'nonNegativeInteger', group: 'context', description: "This VM's ID" },
  { name: 'TOKENTXT', kind: 'token', secret: true, group: 'context', description: 'OneGate token of this VM (from one_env; needs TOKEN=YES)' },
  { name: 'SERVICE_ID', kind: 'nonNegativeInteger', group: 'context', description: 'ID of the OneFlow service this VM belongs to' },
  { name: 'REPORT_READY', kind: 'boolean', default: 'NO', group: 'context', description: 'Report READY=YES to OneGate once bootstrap has succeeded' },

  // Versions.
  { name: 'ONE_SERVICE_VERSION', kind: 'version', default: '1.33', group: 'versions', description: 'Kubernetes minor version of the appliance' },
  {
    name: 'ONE_SERVICE_RKE2_RELEASE',
    kind: 'version',
    derivedDefault: '1.33.5 for 1.33 (concurrent-join fix), else <ONE_SERVICE_VERSION>.4',
    group: 'versions',
    description: 'RKE2 release (Kubernetes patch version)',
  },
  { name: 'ONE_SERVICE_RKE2_VERSION', kind: 'version', derivedDefault: 'v<ONE_SERVICE_RKE2_RELEASE>+rke2r1', group: 'versions', description: 'Full RKE2 version tag' },
  { name: 'ONE_SERVICE_HELM_VERSION', kind: 'version', default: '3.18.6', group: 'versions', description: 'Helm version installed in the image' },
  { name: 'ONEAPP_K8S_LONGHORN_CHART_VERSION', kind: 'version', default: '1.9.1', group: 'versions', description: 'Longhorn Helm chart version' },
  { name: 'ONEAPP_K8S_METALLB_CHART_VERSION', kind: 'version', default: '0.15.2', group: 'versions', description: 'MetalLB Helm chart version' },
  { name: 'ONEAPP_K8S_TRAEFIK_CHART_VERSION', kind: 'version', default: '37.1.0', group: 'versions', description: 'Traefik Helm chart version' },
  { name: 'ONE_SERVICE_AIRGAPPED', kind: 'boolean', default: 'NO', group: 'versions', description: 'The image carries every container image; pull nothing' },

  // Networking of the cluster.
  { name: PUBLIC_VIP, kind: 'vip', group: 'network', description: 'Public VIP: the control-plane endpoint and default LB address' },
  { name: 'ONEAPP_VROUTER_ETH1_VIP0', kind: 'vip', group: 'network', description: 'Private VIP: gateway and nameserver of the private network' },
  { name: 'ONEAPP_VROUTER_ETH<n>_VIP<m>', pattern: new RegExp(`^ONEAPP_VROUTER_ETH${N}_VIP${N}$`), kind: 'vip', group: 'network', description: 'A further VIP that keepalived holds on eth<n>' },
  { name: 'ONEAPP_VNF_DNS_ENABLED', kind: 'boolean', default: 'YES', group: 'network', description: 'The VNF serves DNS; the nodes make the private VIP (or FALLBACK_DNS) their only nameserver' },
  { name: 'FALLBACK_GW', kind: 'ipv4', group: 'network', description: 'Default gateway of the nodes when there is no private VIP' },
  { name: 'FALLBACK_DNS', kind: 'ipv4', group: 'network', description: 'Nameserver of the nodes when there is no private VIP' },

  // Per NIC, written by OpenNebula.
  { name: 'ETH<n>_IP', pattern: new RegExp(`^ETH${N}_IP$`), kind: 'ipv4', group: 'nics', description: 'IPv4 address of eth<n>' },
  { name: 'ETH<n>_MAC', pattern: new RegExp(`^ETH${N}_MAC$`), kind: 'macAddress', group: 'nics', description: 'MAC address of eth<n>' },
  { name: 'ETH<n>_MASK', pattern: new RegExp(`^ETH${N}_MASK$`), kind: 'netmask', group: 'nics', description: 'Netmask of eth<n>' },
  { name: 'ETH<n>_NETWORK', pattern: new RegExp(`^ETH${N}_NETWORK$`), kind: 'ipv4', group: 'nics', description: 'Network address of eth<n>' },
  { name: 'ETH<n>_GATEWAY', pattern: new RegExp(`^ETH${N}_GATEWAY$`), kind: 'ipv4', group: 'nics', description: 'Gateway of eth<n>' },
  { name: 'ETH<n>_DNS', pattern: new RegExp(`^ETH${N}_DNS$`), kind: 'nameservers', group: 'nics', description: 'Nameservers of eth<n>' },
  { name: 'ETH<n>_VROUTER_IP', pattern: new RegExp(`^ETH${N}_VROUTER_IP$`), kind: 'ipv4', group: 'nics', description: 'Virtual router IP (a VIP) of eth<n>' },
  { name: 'ETH<n>_VROUTER_MANAGEMENT', pattern: new RegExp(`^ETH${N}_VROUTER_MANAGEMENT$`), kind: 'boolean', default: 'NO', group: 'nics', description: 'eth<n> is a management NIC: no VRRP, no LB' },

  // Load balancers: the four well-known ones, then any further index.
  ...LB_PORT_DEFAULTS.flatMap((port, index): VariableSpec[] => [
    { name: `ONEAPP_VNF_HAPROXY_LB${index}_IP`, kind: 'lbAddress', derivedDefault: PUBLIC_VIP, group: 'load balancers', description: `Address HAProxy binds for LB${index} (${LB_ROLES[index]})` },
    { name: `ONEAPP_VNF_HAPROXY_LB${index}_PORT`, kind: 'port', default: port, group: 'load balancers', description: `Port of LB${index} (${LB_ROLES[index]})` },
  ]),
  {
    name: 'ONEAPP_VNF_HAPROXY_LB<i>_IP',
    pattern: new RegExp(`^ONEAPP_VNF_HAPROXY_LB${N}_IP$`),
    kind: 'lbAddress',
    derivedDefault: PUBLIC_VIP,
    group: 'load balancers',
    description: 'Address of a further load balancer <i> (4 and up)',
  },
  {
    name: 'ONEAPP_VNF_HAPROXY_LB<i>_PORT',
    pattern: new RegExp(`^ONEAPP_VNF_HAPROXY_LB${N}_PORT$`),
    kind: 'port',
    group: 'load balancers',
    description: 'Port of a further load balancer <i> (4 and up); required when it is used',
  },
  {
    name: 'ONEAPP_VNF_HAPROXY_LB<i>_SERVER<j>_HOST',
    pattern: new RegExp(`^ONEAPP_VNF_HAPROXY_LB${N}_SERVER${N}_HOST$`),
    kind: 'serverHost',
    group: 'load balancers',
    description: 'Host of static backend <j> of LB<i>',
  },
  {
    name: 'ONEAPP_VNF_HAPROXY_LB<i>_SERVER<j>_PORT',
    pattern: new RegExp(`^ONEAPP_VNF_HAPROXY_LB${N}_SERVER${N}_PORT$`),
    kind: 'port',
    group: 'load balancers',
    description: 'Port of static backend <j> of LB<i>',
  },
  { name: 'ONEAPP_VNF_HAPROXY_INTERFACES', kind: 'interfaces', default: 'all', group: 'load balancers', description: 'Interfaces HAProxy may bind on' },
  {
    name: 'ONEAPP_VNF_HAPROXY_REFRESH_RATE',
    kind: 'refreshRate',
    default: '3',
    group: 'load balancers',
    description: 'Seconds between backend refreshes from OneGate (one request each; the reference polled every 30 s with 1 + N)',
  },
  { name: 'ONEAPP_VNF_HAPROXY_ENABLED', kind: 'boolean', default: 'YES', group: 'load balancers', description: 'Run HAProxy on the VNF (NO: no load balancer at all)' },
  { name: 'ONEAPP_VNF_HAPROXY_ONEGATE_ENABLED', kind: 'boolean', default: 'YES', group: 'load balancers', description: 'Add the backends that the service VMs publish in OneGate' },

  // keepalived.
  {
    name: 'ONEAPP_VNF_KEEPALIVED_VRID',
    kind: 'vrid',
    derivedDefault: "VROUTER_KEEPALIVED_ID, else SERVICE_ID mod 255 + 1 (context, else OneGate's service), else VROUTER_ID mod 255 + 1, else VMID mod 255 + 1, else 1",
    group: 'keepalived',
    description: 'VRRP virtual router id',
  },
  { name: 'ONEAPP_VNF_KEEPALIVED_PASSWORD', kind: 'keepalivedPassword', secret: true, group: 'keepalived', description: 'VRRP PASS authentication (at most 8 characters); none when empty' },
  {
    name: 'VROUTER_KEEPALIVED_PASSWORD',
    kind: 'keepalivedPassword',
    secret: true,
    group: 'keepalived',
    description: 'Legacy VRouter name of ONEAPP_VNF_KEEPALIVED_PASSWORD (used when that is not set)',
  },
  { name: 'VROUTER_KEEPALIVED_ID', kind: 'vrid', group: 'keepalived', description: 'Legacy VRouter name of ONEAPP_VNF_KEEPALIVED_VRID (used when that is not set)' },
  { name: 'VROUTER_ID', kind: 'nonNegativeInteger', group: 'keepalived', description: 'ID of the OpenNebula virtual router; VRID VROUTER_ID mod 255 + 1 when neither a VRID nor SERVICE_ID is set' },
  { name: 'ONEAPP_VNF_KEEPALIVED_INTERVAL', kind: 'advertInterval', default: '1', group: 'keepalived', description: 'VRRP advertisement interval in seconds' },
  { name: 'ONEAPP_VNF_KEEPALIVED_PRIORITY', kind: 'priority', default: '100', group: 'keepalived', description: 'VRRP priority' },
  { name: 'ONEAPP_VNF_KEEPALIVED_INTERFACES', kind: 'interfaces', default: 'all', group: 'keepalived', description: 'Interfaces that get a VRRP instance' },
  {
    name: 'ONEAPP_VNF_KEEPALIVED_ETH<n>_PASSWORD',
    pattern: new RegExp(`^ONEAPP_VNF_KEEPALIVED_ETH${N}_PASSWORD$`),
    kind: 'keepalivedPassword',
    secret: true,
    derivedDefault: 'ONEAPP_VNF_KEEPALIVED_PASSWORD',
    group: 'keepalived',
    description: 'VRRP password for eth<n>',
  },
  {
    name: 'ONEAPP_VNF_KEEPALIVED_ETH<n>_INTERVAL',
    pattern: new RegExp(`^ONEAPP_VNF_KEEPALIVED_ETH${N}_INTERVAL$`),
    kind: 'advertInterval',
    derivedDefault: 'ONEAPP_VNF_KEEPALIVED_INTERVAL',
    group: 'keepalived',
    description: 'VRRP advertisement interval for eth<n>',
  },
  {
    name: 'ONEAPP_VNF_KEEPALIVED_ETH<n>_PRIORITY',
    pattern: new RegExp(`^ONEAPP_VNF_KEEPALIVED_ETH${N}_PRIORITY$`),
    kind: 'priority',
    derivedDefault: 'ONEAPP_VNF_KEEPALIVED_PRIORITY',
    group: 'keepalived',
    description: 'VRRP priority for eth<n>',
  },
  {
    name: 'ONEAPP_VNF_KEEPALIVED_ETH<n>_VRID',
    pattern: new RegExp(`^ONEAPP_VNF_KEEPALIVED_ETH${N}_VRID$`),
    kind: 'vrid',
    derivedDefault: 'ONEAPP_VNF_KEEPALIVED_VRID',
    group: 'keepalived',
    description: 'VRRP virtual router id for eth<n>',
  },
  {
    name: 'ONEAPP_VNF_KEEPALIVED_ETH<n>_SKIP',
    pattern: new RegExp(`^ONEAPP_VNF_KEEPALIVED_ETH${N}_SKIP$`),
    kind: 'boolean',
    default: 'NO',
    group: 'keepalived',
    description: 'No VRRP instance on eth<n>',
  },

  // Routing and NAT on the VNF.
  { name: 'ONEAPP_VNF_NAT4_ENABLED', kind: 'boolean', default: 'NO', group: 'routing', description: 'Masquerade the private network out of the outgoing interfaces' },
  { name: 'ONEAPP_VNF_NAT4_INTERFACES_OUT', kind: 'interfaces', derivedDefault: 'none', group: 'routing', description: 'Outgoing interfaces for NAT' },
  {
    name: 'ONEAPP_VNF_NAT4_PORT_FWD<n>',
    pattern: new RegExp(`^ONEAPP_VNF_NAT4_PORT_FWD${N}$`),
    kind: 'portForward',
    group: 'routing',
    description: 'With NAT: forward TCP and UDP [addr:]port to dest[:dport] (addresses may be <ETHn_IPm>, <ETHn_VIPm>, <ETHn_EPm>)',
  },
  { name: 'ONEAPP_VNF_ROUTER4_ENABLED', kind: 'boolean', default: 'NO', group: 'routing', description: 'Forward IPv4 between the interfaces' },
  { name: 'ONEAPP_VNF_ROUTER4_INTERFACES', kind: 'interfaces', default: 'all', group: 'routing', description: 'Interfaces to forward between' },

  // The VNF's DNS (unbound), as the VRouter reference serves it.
  { name: 'ONEAPP_VNF_DNS_CLUSTER_DOMAIN', kind: 'dnsDomain', default: 'vr', group: 'dns', description: 'Zone of the ip<m>.eth<n>, vip<m>.eth<n> and ep<m>.eth<n> names of the VNF' },
  { name: 'ONEAPP_VNF_DNS_NAMESERVERS', kind: 'dnsForwarders', group: 'dns', description: 'Upstream nameservers to forward to (addr or addr@port); they win over the root servers' },
  { name: 'ONEAPP_VNF_DNS_USE_ROOTSERVERS', kind: 'boolean', default: 'YES', group: 'dns', description: "Resolve from the root servers when no nameserver is given (NO: the VNF's own resolvers)" },
  {
    name: 'ONEAPP_VNF_DNS_INTERFACES',
    kind: 'dnsListen',
    derivedDefault: 'every address of the VNF',
    group: 'dns',
    description: 'Where the DNS listens: NIC names (their IPs and VIPs), addresses or addr@port',
  },
  { name: 'ONEAPP_VNF_DNS_ALLOWED_NETWORKS', kind: 'cidrList', derivedDefault: "the VNF's subnets", group: 'dns', description: 'Clients the DNS answers (CIDRs); others are refused' },
  { name: 'ONEAPP_VNF_DNS_TCP_DISABLED', kind: 'boolean', default: 'NO', group: 'dns', description: 'No DNS over TCP' },
  { name: 'ONEAPP_VNF_DNS_UDP_DISABLED', kind: 'boolean', default: 'NO', group: 'dns', description: 'No DNS over UDP (upstream queries then go over TCP)' },
  { name: 'ONEAPP_VNF_DNS_UPSTREAM_TIMEOUT', kind: 'upstreamTimeout', default: '1128', group: 'dns', description: 'Milliseconds to wait for an upstream nameserver not yet measured' },
  { name: 'ONEAPP_VNF_DNS_MAX_CACHE_TTL', kind: 'cacheTtl', default: '3600', group: 'dns', description: 'Longest time in seconds an answer stays cached' },

  // Endpoints.
  {
    name: 'ONEAPP_RKE2_SUPERVISOR_EP',
    kind: 'endpoint',
    derivedDefault: `<${PUBLIC_VIP}>:<ONEAPP_VNF_HAPROXY_LB0_PORT>`,
    group: 'endpoints',
    description: 'RKE2 supervisor endpoint that nodes join through',
  },
  { name: 'ONEAPP_K8S_CONTROL_PLANE_EP', kind: 'endpoint', derivedDefault: `<${PUBLIC_VIP}>:<ONEAPP_VNF_HAPROXY_LB1_PORT>`, group: 'endpoints', description: 'Kubernetes API endpoint' },
  { name: 'ONEAPP_K8S_EXTRA_SANS', kind: 'sanList', default: 'localhost,127.0.0.1', group: 'endpoints', description: 'Extra names and addresses in the API server certificate' },

  // Kubernetes.
  { name: 'ONEAPP_K8S_CNI_PLUGIN', kind: 'cniName', default: 'cilium', group: 'kubernetes', description: 'CNI plugin' },
  { name: 'ONEAPP_K8S_CNI_CONFIG', kind: 'base64Yaml', secret: true, group: 'kubernetes', description: 'Base64 YAML that replaces the generated CNI config' },
  { name: 'ONEAPP_K8S_MULTUS_ENABLED', kind: 'boolean', default: 'NO', group: 'kubernetes', description: 'Add Multus in front of the CNI plugin' },
  { name: 'ONEAPP_K8S_MULTUS_CONFIG', kind: 'base64Yaml', secret: true, group: 'kubernetes', description: 'Base64 YAML that replaces the generated Multus config' },
  { name: 'ONEAPP_K8S_CILIUM_BGP_ENABLED', kind: 'boolean', default: 'NO', group: 'kubernetes', description: 'Cilium BGP control plane and LB IP pool' },
  { name: 'ONEAPP_K8S_CILIUM_RANGE*', pattern: /^ONEAPP_K8S_CILIUM_RANGE/, kind: 'cidrList', group: 'kubernetes', description: 'CIDRs of the Cilium LB IP pool (every variable with this prefix)' },
  { name: 'ONEAPP_K8S_CLUSTER_CIDR', kind: 'ipv4Cidr', default: '10.42.0.0/16', group: 'kubernetes', description: 'Pod network' },
  { name: 'ONEAPP_K8S_SERVICE_CIDR', kind: 'ipv4Cidr', default: '10.43.0.0/16', group: 'kubernetes', description: 'Service network' },
  {
    name: 'ONEAPP_K8S_WAIT_TIMEOUT',
    kind: 'waitTimeout',
    default: '1200',
    group: 'kubernetes',
    description: 'Seconds a Kubernetes node waits for one thing (a master, its API, the nodes) before giving up',
  },
  { name: 'ONEAPP_RKE2_CLOUD_CONTROLLER_ENABLED', kind: 'boolean', default: 'YES', group: 'kubernetes', description: "RKE2's default cloud controller" },
  { name: 'ONEAPP_K8S_HTTP_PROXY', kind: 'proxyUrl', group: 'kubernetes', description: 'HTTP proxy for RKE2' },
  { name: 'ONEAPP_K8S_HTTPS_PROXY', kind: 'proxyUrl', group: 'kubernetes', description: 'HTTPS proxy for RKE2' },
  {
    name: 'ONEAPP_K8S_NO_PROXY',
    kind: 'noProxyList',
    derivedDefault: 'loopback, localhost, both endpoint hosts, cluster and service CIDRs, the NIC subnets',
    group: 'kubernetes',
    description: 'Destinations that bypass the proxy',
  },

  // Add-ons.
  { name: 'ONEAPP_K8S_METALLB_ENABLED', kind: 'boolean', default: 'NO', group: 'add-ons', description: 'Install MetalLB' },
  { name: 'ONEAPP_K8S_METALLB_CLASS', kind: 'loadBalancerClass', default: 'metallb', group: 'add-ons', description: 'LoadBalancerClass that MetalLB serves' },
  { name: 'ONEAPP_K8S_METALLB_CONFIG', kind: 'base64Yaml', secret: true, group: 'add-ons', description: 'Base64 YAML that replaces the generated MetalLB pool' },
  {
    name: 'ONEAPP_K8S_METALLB_RANGE*',
    pattern: /^ONEAPP_K8S_METALLB_RANGE/,
    kind: 'addressRanges',
    group: 'add-ons',
    description: 'Address ranges of the MetalLB pool (every variable with this prefix)',
  },
  { name: 'ONEAPP_K8S_TRAEFIK_ENABLED', kind: 'boolean', default: 'NO', group: 'add-ons', description: 'Install Traefik' },
  { name: 'ONEAPP_K8S_LONGHORN_ENABLED', kind: 'boolean', default: 'NO', group: 'add-ons', description: 'Install Longhorn' },

  // Storage.
  { name: 'ONEAPP_STORAGE_DEVICE', kind: 'devicePath', group: 'storage', description: 'Dedicated disk for Longhorn; none means no dedicated disk' },
  { name: 'ONEAPP_STORAGE_FILESYSTEM', kind: 'filesystem', default: 'xfs', group: 'storage', description: 'Filesystem created on an empty dedicated disk' },
  { name: 'ONEAPP_STORAGE_MOUNTPOINT', kind: 'mountPoint', default: '/var/lib/longhorn', group: 'storage', description: 'Where the dedicated disk is mounted' },
];

const BY_NAME = new Map(VARIABLES.filter((spec) => spec.pattern === undefined).map((spec) => [spec.name, spec]));
const FAMILIES = VARIABLES.filter((spec) => spec.pattern !== undefined);

/** The spec that covers a context variable name, or undefined when the agent does not read it. */
export function specFor(name: string): VariableSpec | undefined {
  return BY_NAME.get(name) ?? FAMILIES.find((spec) => spec.pattern?.test(name) === true);
}

/** The spec of an exact name or family template, as written in the table's `name` column. */
export function specNamed(name: string): VariableSpec | undefined {
  return VARIABLES.find((spec) => spec.name === name);
}

/**
 * Bounds of the numbers inside family names, by the placeholder the table's `name` uses for them. A
 * name beyond them is an input error (named), never a number that JavaScript prints as `1e+21`.
 */
export const INDEX_BOUNDS: Readonly<Record<string, { readonly what: string; readonly max: number }>> = {
  n: { what: 'NIC index', max: 99 },
  m: { what: 'VIP index', max: 99 },
  i: { what: 'load balancer index', max: 99 },
  j: { what: 'backend index', max: 999 },
};

/**
 * What is wrong with the numbers in a family name (`ETH100_IP`: the NIC index is above 99), or
 * undefined when they are within INDEX_BOUNDS or the name is not a family member. Digits are compared
 * as text first, so a 30-digit index is never turned into a float.
 */
export function indexProblem(name: string): string | undefined {
  const spec = specFor(name);
  if (spec?.pattern === undefined) return undefined;
  const groups = spec.pattern.exec(name)?.slice(1) ?? [];
  const placeholders = [...spec.name.matchAll(/<([a-z])>/g)].map((match) => match[1] as string);
  for (const [position, digits] of groups.entries()) {
    const bound = INDEX_BOUNDS[placeholders[position] ?? ''];
    if (bound === undefined || digits === undefined) continue;
    if (digits.length > String(bound.max).length || Number(digits) > bound.max) {
      return `a ${bound.what} from 0 to ${bound.max} in the name (${spec.name})`;
    }
  }
  return undefined;
}

/**
 * Natural order: runs of digits compare as numbers, so RANGE2 comes before RANGE10 and the bare prefix
 * (RANGE) before both. Ties (RANGE01 vs RANGE1) fall back to plain code-unit order.
 */
export function compareNames(a: string, b: string): number {
  return compareChunks(nameChunks(a), nameChunks(b), a, b);
}

/** Names in natural order (compareNames), each name split into its runs once rather than per comparison. */
export function sortNames(names: Iterable<string>): string[] {
  return [...names]
    .map((name) => ({ name, chunks: nameChunks(name) }))
    .sort((a, b) => compareChunks(a.chunks, b.chunks, a.name, b.name))
    .map((entry) => entry.name);
}

function nameChunks(name: string): string[] {
  return name.match(/(\d+)|(\D+)/g) ?? [];
}

function compareChunks(left: readonly string[], right: readonly string[], a: string, b: string): number {
  for (let index = 0; index < Math.min(left.length, right.length); index += 1) {
    const x = left[index] as string;
    const y = right[index] as string;
    if (x === y) continue;
    const bothDigits = /^\d/.test(x) && /^\d/.test(y);
    if (bothDigits && Number(x) !== Number(y)) return Number(x) - Number(y);
    if (!bothDigits) return x < y ? -1 : 1;
  }
  if (left.length !== right.length) return left.length - right.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
