// The one typed, validated, frozen configuration that every other part of the agent reads. Built
// once from the context by parseConfig; nothing reads context variables after that.

import type { AddressRange, CniName, DnsListen, DnsServer, Filesystem, InterfaceSelection, PortForward } from './parsers.ts';

export type { AddressRange, CniName, DnsListen, DnsServer, Filesystem, InterfaceSelection, PortForward } from './parsers.ts';

export interface HostPort {
  /** An IPv4 address or a DNS name. */
  readonly host: string;
  readonly port: number;
}

/** `ONEAPP_VROUTER_ETH<n>_VIP<m>`: `index` is m, kept because placeholders such as `<ETH0_VIP1>` name it. */
export interface Vip {
  readonly index: number;
  readonly address: string;
  /** When the value was written `address/len`. */
  readonly prefixLength: number | undefined;
}

/**
 * One NIC as the context describes it (`ETH<n>_*`). A NIC appears when any of its variables, or a VIP
 * for it, is set; so a VIP for eth1 on a VM with only eth0 gives an eth1 entry without `ip`.
 */
export interface Nic {
  /** `eth<n>`. */
  readonly name: string;
  readonly index: number;
  readonly ip: string | undefined;
  readonly mac: string | undefined;
  readonly mask: string | undefined;
  /** From `mask`. */
  readonly prefixLength: number | undefined;
  readonly network: string | undefined;
  readonly gateway: string | undefined;
  readonly dns: readonly string[];
  /** `ETH<n>_VROUTER_IP`: the virtual router's own VIP on this network. */
  readonly vrouterIp: string | undefined;
  /** `ETH<n>_VROUTER_MANAGEMENT`: no VRRP and no load balancing here. */
  readonly management: boolean;
  /** `ONEAPP_VROUTER_ETH<n>_VIP<m>`, by m. */
  readonly vips: readonly Vip[];
}

export interface StaticServer {
  /** j of `ONEAPP_VNF_HAPROXY_LB<i>_SERVER<j>_*`. */
  readonly index: number;
  /** An IPv4, a DNS name or a placeholder (`<ETH1_IP0>`) that the VNF resolves. */
  readonly host: string;
  readonly port: number;
}

export interface LoadBalancer {
  /** 0 supervisor (9345), 1 Kubernetes API (6443), 2 HTTPS ingress, 3 HTTP ingress; more when configured. */
  readonly index: number;
  /**
   * An IPv4 or a placeholder (`<ETH0_EP0>`); by default the public VIP, else `<ETH0_EP0>` when the VM
   * has an eth0 (a service without VIPs: the VNF's own public address); else undefined.
   */
  readonly ip: string | undefined;
  readonly port: number;
  readonly staticServers: readonly StaticServer[];
}

/** Where the keepalived VRID came from; the fallbacks risk clashes between clusters on one network. */
export type VridSource = 'ONEAPP_VNF_KEEPALIVED_VRID' | 'VROUTER_KEEPALIVED_ID' | 'VROUTER_ID' | 'SERVICE_ID' | 'VMID' | 'fallback';

/** Effective keepalived settings of one NIC: its overrides, else the global values. */
export interface KeepalivedNic {
  readonly nic: string;
  readonly index: number;
  readonly vrid: number;
  /** `ONEAPP_VNF_KEEPALIVED_ETH<n>_VRID` was set: the VRID is not a default. */
  readonly ownVrid: boolean;
  readonly password: string | undefined;
  readonly intervalSeconds: number;
  readonly priority: number;
  /** `ONEAPP_VNF_KEEPALIVED_ETH<n>_SKIP`: no VRRP here; its VIPs move in another NIC's instance. */
  readonly skip: boolean;
}

export interface Config {
  readonly onegate: {
    readonly endpoint: string | undefined;
    readonly vmId: number | undefined;
    /** TOKENTXT. A secret: see secretValues. */
    readonly token: string | undefined;
  };
  readonly serviceId: number | undefined;
  readonly reportReady: boolean;
  readonly airgapped: boolean;
  readonly versions: {
    readonly oneService: string;
    readonly rke2Release: string;
    readonly rke2: string;
    readonly helm: string;
    readonly longhornChart: string;
    readonly metallbChart: string;
    readonly traefikChart: string;
  };
  readonly network: {
    /** Address of ONEAPP_VROUTER_ETH0_VIP0 (without a prefix length). */
    readonly publicVip: string | undefined;
    /** Address of ONEAPP_VROUTER_ETH1_VIP0 (without a prefix length). */
    readonly privateVip: string | undefined;
    readonly dnsEnabled: boolean;
    readonly fallbackGateway: string | undefined;
    readonly fallbackDns: string | undefined;
  };
  /** By index. */
  readonly nics: readonly Nic[];
  /** By index; 0 to 3 are always there. */
  readonly loadBalancers: readonly LoadBalancer[];
  readonly haproxy: {
    readonly interfaces: InterfaceSelection;
    readonly refreshRateSeconds: number;
    readonly onegateEnabled: boolean;
    /** `ONEAPP_VNF_HAPROXY_ENABLED` (the official VNF template passes YES). */
    readonly enabled: boolean;
  };
  readonly keepalived: {
    readonly vrid: number;
    readonly vridSource: VridSource;
    readonly password: string | undefined;
    readonly intervalSeconds: number;
    readonly priority: number;
    readonly interfaces: InterfaceSelection;
    /** Keyed by NIC name (`eth0`): every NIC of `nics` and every NIC with an override. */
    readonly perNic: Readonly<Record<string, KeepalivedNic>>;
  };
  readonly nat4: {
    readonly enabled: boolean;
    /** Nothing (an empty include list) unless set, as in the reference. */
    readonly interfacesOut: InterfaceSelection;
    /** `ONEAPP_VNF_NAT4_PORT_FWD<n>` by n; applied with NAT on. */
    readonly portForwards: readonly (PortForward & { readonly index: number })[];
  };
  readonly router4: {
    readonly enabled: boolean;
    readonly interfaces: InterfaceSelection;
  };
  /** The VNF's DNS server (`ONEAPP_VNF_DNS_*`); on only when `network.dnsEnabled`. */
  readonly dns: {
    readonly clusterDomain: string;
    /** Empty: none given. */
    readonly nameservers: readonly DnsServer[];
    readonly useRootServers: boolean;
    /** Undefined: every address of the VNF. */
    readonly interfaces: readonly DnsListen[] | undefined;
    /** Undefined: the VNF's subnets. */
    readonly allowedNetworks: readonly string[] | undefined;
    readonly tcp: boolean;
    readonly udp: boolean;
    readonly upstreamTimeoutMs: number;
    readonly maxCacheTtlSeconds: number;
  };
  /** Undefined when neither the variable nor the public VIP is set; Kubernetes roles require them. */
  readonly endpoints: {
    readonly supervisor: HostPort | undefined;
    readonly controlPlane: HostPort | undefined;
  };
  readonly k8s: {
    readonly cni: CniName;
    /** Decoded YAML text that replaces the generated CNI config. */
    readonly cniConfig: string | undefined;
    readonly multus: { readonly enabled: boolean; readonly config: string | undefined };
    readonly cilium: { readonly bgpEnabled: boolean; readonly ranges: readonly string[] };
    readonly clusterCidr: string;
    readonly serviceCidr: string;
    readonly extraSans: readonly string[];
    readonly cloudControllerEnabled: boolean;
    /** ONEAPP_K8S_WAIT_TIMEOUT: how long one wait of a Kubernetes node may last. */
    readonly waitSeconds: number;
    readonly proxy: {
      readonly http: string | undefined;
      readonly https: string | undefined;
      /** As given, or derived (contract §6 plus the NIC subnets). Only used when a proxy is set. */
      readonly noProxy: readonly string[];
    };
  };
  readonly addons: {
    readonly metallb: {
      readonly enabled: boolean;
      readonly loadBalancerClass: string;
      /** Decoded YAML text that replaces the generated pool. */
      readonly config: string | undefined;
      readonly ranges: readonly AddressRange[];
    };
    readonly traefik: { readonly enabled: boolean };
    readonly longhorn: { readonly enabled: boolean };
  };
  readonly storage: {
    /** Undefined: no dedicated disk. */
    readonly device: string | undefined;
    readonly filesystem: Filesystem;
    readonly mountpoint: string;
  };
  /** Set ONEAPP_* / ONE_SERVICE_* variables the agent does not know (typos, other appliances), in name order. */
  readonly unrecognized: readonly string[];
}

/**
 * Every secret value in a config, for the logger and the plan printer to scrub: TOKENTXT, keepalived
 * passwords (global and per NIC), and proxy passwords (as written and URL-decoded).
 */
export function secretValues(config: Config): string[] {
  const secrets = new Set<string>();
  const add = (value: string | undefined): void => {
    if (value !== undefined && value !== '') secrets.add(value);
  };
  add(config.onegate.token);
  add(config.keepalived.password);
  for (const nic of Object.values(config.keepalived.perNic)) add(nic.password);
  for (const proxy of [config.k8s.proxy.http, config.k8s.proxy.https]) {
    if (proxy === undefined) continue;
    const password = new URL(proxy).password;
    add(password);
    add(safeDecode(password));
  }
  return [...secrets];
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Freezes plain objects and arrays all the way down. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
