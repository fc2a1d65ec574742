// Context variables → one typed, frozen Config, or every problem at once. Validation happens here,
// before anything on the system changes (contract §3.2 "Beyond").

import type { ContextVars } from '../context/index.ts';
import { ConfigError, InternalError } from '../errors.ts';
import type { ConfigIssue } from '../errors.ts';
import { deepFreeze } from './config.ts';
import type { Config, KeepalivedNic, LoadBalancer, Nic, StaticServer, Vip } from './config.ts';
import { defaultNoProxy, defaultRke2Release, defaultRke2Version, deriveEndpoint, deriveVrid } from './derive.ts';
import { RULES } from './rules.ts';
import { maskUrlPassword, showValue } from './show-value.ts';
import { compareNames, indexProblem, sortNames, specFor, specNamed, VALUE_KINDS } from './variables.ts';
import type { KindValue, ValueKind } from './variables.ts';

export type ParseConfigResult = { ok: true; config: Config } | { ok: false; issues: ConfigIssue[] };

/** Kinds whose values are URLs, which may carry a user and password. */
const URL_KINDS: ReadonlySet<ValueKind | undefined> = new Set<ValueKind>(['proxyUrl', 'onegateUrl']);

/**
 * Service inputs that reach every VM's context but are read under another name: the storage VM
 * template maps ONEAPP_K8S_STORAGE_* onto ONEAPP_STORAGE_*. Known, so not reported as typos.
 */
const KNOWN_ELSEWHERE: ReadonlySet<string> = new Set(['ONEAPP_K8S_STORAGE_DEVICE', 'ONEAPP_K8S_STORAGE_FILESYSTEM', 'ONEAPP_K8S_STORAGE_MOUNTPOINT']);

/** Validates every variable the agent knows and returns the config, or all issues found. */
export function parseConfig(vars: ContextVars): ParseConfigResult {
  const reader = createReader(vars);
  const config = assemble(reader);
  reader.readRemaining();
  for (const rule of RULES) rule({ config, report: reader.report, hasIssue: reader.hasIssue });
  if (reader.issues.length > 0) return { ok: false, issues: reader.issues };
  return { ok: true, config: deepFreeze(config) };
}

/** @throws ConfigError with every issue when the context is invalid. */
export function assertConfig(vars: ContextVars): Config {
  const result = parseConfig(vars);
  if (!result.ok) throw new ConfigError(result.issues);
  return result.config;
}

interface Reader {
  readonly issues: ConfigIssue[];
  /** The value, or the table's default when the variable is empty or invalid (an issue is recorded then). */
  withDefault<K extends ValueKind>(name: string, kind: K): KindValue<K>;
  /** The value, or undefined when the variable is empty or invalid. */
  optional<K extends ValueKind>(name: string, kind: K): KindValue<K> | undefined;
  /** The variable has a non-empty value (valid or not). */
  isSet(name: string): boolean;
  /** Names with a value that `test` matches, in natural order. */
  setNames(test: RegExp): string[];
  /** Names with a value that belong to a family of the table (by its template name), in natural order. */
  setNamesOf(template: string): string[];
  report(variable: string, expected: string): void;
  hasIssue(variable: string | RegExp): boolean;
  /** Validates every known variable not read while assembling. */
  readRemaining(): void;
}

function trimAsciiSpace(value: string): string {
  const space = (code: number): boolean => code === 32 || code === 9 || code === 10 || code === 13;
  let start = 0;
  let end = value.length;
  while (start < end && space(value.charCodeAt(start))) start += 1;
  while (end > start && space(value.charCodeAt(end - 1))) end -= 1;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

function createReader(vars: ContextVars): Reader {
  const issues: ConfigIssue[] = [];
  const parsed = new Map<string, { value: unknown } | undefined>();
  // A name whose index is out of bounds is reported once and then left out of everything else.
  const outOfBounds = new Map<string, string>();
  for (const name of vars.keys()) {
    const problem = indexProblem(name);
    if (problem !== undefined) outOfBounds.set(name, problem);
  }
  const names = sortNames([...vars.keys()].filter((name) => !outOfBounds.has(name)));
  // Each name's value, trimmed or not, worked out once: families are looked for many times.
  const values = new Map<string, string | undefined>();

  /** The value to parse: empty means "use the default". Surrounding spaces and line breaks are dropped, except for secrets. */
  const valueNamed = (name: string): string | undefined => {
    if (values.has(name)) return values.get(name);
    const raw = vars.get(name);
    const trimmed = raw === undefined || specFor(name)?.secret === true ? raw : trimAsciiSpace(raw);
    const value = trimmed === '' ? undefined : trimmed;
    values.set(name, value);
    return value;
  };

  const report = (variable: string, expected: string): void => {
    const spec = specFor(variable);
    const raw = vars.get(variable);
    // A rule may blame a variable left at its default: say so rather than show "".
    const unset = raw === undefined || (spec?.secret === true ? raw === '' : raw.trim() === '');
    // A URL with an `@` may hold credentials, even one too malformed for maskUrlPassword to see them.
    const hidden = spec?.secret === true || (raw?.includes('@') && URL_KINDS.has(spec?.kind));
    const shown = unset
      ? spec?.default !== undefined && spec.default !== ''
        ? `(default ${spec.default})`
        : '(not set)'
      : hidden
        ? showValue(raw, { secret: true })
        : // Any URL may carry credentials (a proxy, a OneGate endpoint written with user:password@).
          showValue(raw.includes('://') ? maskUrlPassword(raw) : raw);
    issues.push({ variable, shown, expected });
  };

  const parse = (name: string, kind: ValueKind): { value: unknown } | undefined => {
    const spec = specFor(name);
    if (spec?.kind !== kind) throw new InternalError(`${name} is read as ${kind} but the variable table says ${spec?.kind ?? 'nothing'}`);
    if (parsed.has(name)) return parsed.get(name);
    const value = valueNamed(name);
    let result: { value: unknown } | undefined;
    if (value !== undefined) {
      const outcome = VALUE_KINDS[kind].parse(value);
      if (outcome.ok) result = { value: outcome.value };
      else report(name, outcome.expected);
    }
    parsed.set(name, result);
    return result;
  };

  for (const name of [...outOfBounds.keys()].sort(compareNames)) report(name, outOfBounds.get(name) as string);

  return {
    issues,
    withDefault<K extends ValueKind>(name: string, kind: K): KindValue<K> {
      const result = parse(name, kind);
      if (result !== undefined) return result.value as KindValue<K>;
      const fallback = specFor(name)?.default;
      const outcome = fallback === undefined ? undefined : VALUE_KINDS[kind].parse(fallback);
      if (outcome?.ok !== true) throw new InternalError(`${name} has no valid default in the variable table`);
      return outcome.value as KindValue<K>;
    },
    optional<K extends ValueKind>(name: string, kind: K): KindValue<K> | undefined {
      return parse(name, kind)?.value as KindValue<K> | undefined;
    },
    isSet: (name) => valueNamed(name) !== undefined,
    setNames: (test) => names.filter((name) => test.test(name) && valueNamed(name) !== undefined),
    setNamesOf(template) {
      const spec = specNamed(template);
      if (spec?.pattern === undefined) throw new InternalError(`${template} is not a family of the variable table`);
      return names.filter((name) => specFor(name) === spec && valueNamed(name) !== undefined);
    },
    report,
    hasIssue: (variable) => issues.some((issue) => (typeof variable === 'string' ? issue.variable === variable : variable.test(issue.variable))),
    readRemaining() {
      for (const name of names) {
        const spec = specFor(name);
        if (spec !== undefined) parse(name, spec.kind);
      }
    },
  };
}

/** Numbers captured by `pattern` (its first group) from the set names it matches, ascending, unique. */
function indicesOf(reader: Reader, pattern: RegExp): number[] {
  const indices = new Set<number>();
  for (const name of reader.setNames(pattern)) indices.add(Number(pattern.exec(name)?.[1]));
  return [...indices].sort((a, b) => a - b);
}

/**
 * For a pattern with two groups (`ETH<n>_VIP<m>`, `LB<i>_SERVER<j>`): the second numbers by the first,
 * each list ascending and unique. One pass over the names, however many NICs or LBs there are.
 */
function indicesByFirst(reader: Reader, pattern: RegExp): Map<number, number[]> {
  const byFirst = new Map<number, Set<number>>();
  for (const name of reader.setNames(pattern)) {
    const match = pattern.exec(name);
    const first = Number(match?.[1]);
    const set = byFirst.get(first) ?? new Set<number>();
    set.add(Number(match?.[2]));
    byFirst.set(first, set);
  }
  return new Map([...byFirst].map(([first, set]) => [first, [...set].sort((a, b) => a - b)]));
}

const SERVER_VARIABLE = /^ONEAPP_VNF_HAPROXY_LB(0|[1-9]\d*)_SERVER(0|[1-9]\d*)_(?:HOST|PORT)$/;

const NIC_VARIABLE = /^ETH(0|[1-9]\d*)_(?:IP|MAC|MASK|NETWORK|GATEWAY|DNS|VROUTER_IP|VROUTER_MANAGEMENT)$/;
const VIP_VARIABLE = /^ONEAPP_VROUTER_ETH(0|[1-9]\d*)_VIP(0|[1-9]\d*)$/;
const KEEPALIVED_NIC_VARIABLE = /^ONEAPP_VNF_KEEPALIVED_ETH(0|[1-9]\d*)_(?:PASSWORD|INTERVAL|PRIORITY|VRID|SKIP)$/;
const LB_VARIABLE = /^ONEAPP_VNF_HAPROXY_LB(0|[1-9]\d*)_(?:IP|PORT|SERVER(?:0|[1-9]\d*)_(?:HOST|PORT))$/;
/** Names the agent might be meant to read: a typo here is worth a warning. */
const OWN_PREFIX = /^(?:ONEAPP_|ONE_SERVICE_)/;

function readNics(reader: Reader): Nic[] {
  const vipsByNic = indicesByFirst(reader, VIP_VARIABLE);
  const indices = new Set([...indicesOf(reader, NIC_VARIABLE), ...vipsByNic.keys()]);
  return [...indices]
    .sort((a, b) => a - b)
    .map((n): Nic => {
      const mask = reader.optional(`ETH${n}_MASK`, 'netmask');
      const vips: Vip[] = [];
      for (const m of vipsByNic.get(n) ?? []) {
        const vip = reader.optional(`ONEAPP_VROUTER_ETH${n}_VIP${m}`, 'vip');
        if (vip !== undefined) vips.push({ index: m, address: vip.address, prefixLength: vip.prefixLength });
      }
      return {
        name: `eth${n}`,
        index: n,
        ip: reader.optional(`ETH${n}_IP`, 'ipv4'),
        mac: reader.optional(`ETH${n}_MAC`, 'macAddress'),
        mask: mask?.mask,
        prefixLength: mask?.prefixLength,
        network: reader.optional(`ETH${n}_NETWORK`, 'ipv4'),
        gateway: reader.optional(`ETH${n}_GATEWAY`, 'ipv4'),
        dns: reader.optional(`ETH${n}_DNS`, 'nameservers') ?? [],
        vrouterIp: reader.optional(`ETH${n}_VROUTER_IP`, 'ipv4'),
        management: reader.withDefault(`ETH${n}_VROUTER_MANAGEMENT`, 'boolean'),
        vips: vips.sort((a, b) => a.index - b.index),
      };
    });
}

/** A static backend needs both halves; one without the other is reported on the missing one. */
function readStaticServers(reader: Reader, lb: number, serverIndices: readonly number[]): StaticServer[] {
  const servers: StaticServer[] = [];
  for (const j of serverIndices) {
    const hostName = `ONEAPP_VNF_HAPROXY_LB${lb}_SERVER${j}_HOST`;
    const portName = `ONEAPP_VNF_HAPROXY_LB${lb}_SERVER${j}_PORT`;
    const host = reader.optional(hostName, 'serverHost');
    const port = reader.optional(portName, 'port');
    if (host !== undefined && port !== undefined) servers.push({ index: j, host, port });
    else if (!reader.isSet(hostName)) reader.report(hostName, `a host for the backend that ${portName} gives a port to`);
    else if (!reader.isSet(portName)) reader.report(portName, `a TCP port 1-65535 for the backend ${hostName}`);
  }
  return servers;
}

function readLoadBalancers(reader: Reader, publicVip: string | undefined, nics: readonly Nic[]): LoadBalancer[] {
  const indices = new Set([0, 1, 2, 3, ...indicesOf(reader, LB_VARIABLE)]);
  const serversByLb = indicesByFirst(reader, SERVER_VARIABLE);
  // Without VIPs (one VNF, no HA) the load balancers bind the VNF's own public address.
  const defaultIp = publicVip ?? (nics.some((nic) => nic.index === 0 && nic.ip !== undefined) ? '<ETH0_EP0>' : undefined);
  const loadBalancers: LoadBalancer[] = [];
  for (const index of [...indices].sort((a, b) => a - b)) {
    const portName = `ONEAPP_VNF_HAPROXY_LB${index}_PORT`;
    const ip = reader.optional(`ONEAPP_VNF_HAPROXY_LB${index}_IP`, 'lbAddress') ?? defaultIp;
    const staticServers = readStaticServers(reader, index, serversByLb.get(index) ?? []);
    // Only LB0 to LB3 have a default port; a further LB without a port cannot be served.
    const port = index <= 3 ? reader.withDefault(portName, 'port') : reader.optional(portName, 'port');
    if (port === undefined) {
      if (!reader.isSet(portName)) reader.report(portName, `a TCP port 1-65535: LB${index} is configured without one`);
      continue;
    }
    loadBalancers.push({ index, ip, port, staticServers });
  }
  return loadBalancers;
}

function readKeepalived(reader: Reader, nics: readonly Nic[], serviceId: number | undefined, vmId: number | undefined): Config['keepalived'] {
  // The legacy VRouter names count when the new ones are not set (the reference does the same).
  const given = reader.optional('ONEAPP_VNF_KEEPALIVED_VRID', 'vrid');
  const legacyVrid = reader.optional('VROUTER_KEEPALIVED_ID', 'vrid');
  const vrouterId = reader.optional('VROUTER_ID', 'nonNegativeInteger');
  const derived = deriveVrid(given ?? legacyVrid, serviceId, vmId);
  const { vrid, source } =
    given === undefined && legacyVrid !== undefined
      ? { vrid: legacyVrid, source: 'VROUTER_KEEPALIVED_ID' as const }
      : given === undefined && derived.source !== 'SERVICE_ID' && vrouterId !== undefined
        ? { vrid: (vrouterId % 255) + 1, source: 'VROUTER_ID' as const }
        : derived;
  const password = reader.optional('ONEAPP_VNF_KEEPALIVED_PASSWORD', 'keepalivedPassword') ?? reader.optional('VROUTER_KEEPALIVED_PASSWORD', 'keepalivedPassword');
  const intervalSeconds = reader.withDefault('ONEAPP_VNF_KEEPALIVED_INTERVAL', 'advertInterval');
  const priority = reader.withDefault('ONEAPP_VNF_KEEPALIVED_PRIORITY', 'priority');
  const indices = new Set([...nics.map((nic) => nic.index), ...indicesOf(reader, KEEPALIVED_NIC_VARIABLE)]);
  const perNic: Record<string, KeepalivedNic> = {};
  for (const n of [...indices].sort((a, b) => a - b)) {
    const prefix = `ONEAPP_VNF_KEEPALIVED_ETH${n}`;
    const ownVrid = reader.optional(`${prefix}_VRID`, 'vrid');
    perNic[`eth${n}`] = {
      nic: `eth${n}`,
      index: n,
      vrid: ownVrid ?? vrid,
      ownVrid: ownVrid !== undefined,
      password: reader.optional(`${prefix}_PASSWORD`, 'keepalivedPassword') ?? password,
      intervalSeconds: reader.optional(`${prefix}_INTERVAL`, 'advertInterval') ?? intervalSeconds,
      priority: reader.optional(`${prefix}_PRIORITY`, 'priority') ?? priority,
      skip: reader.withDefault(`${prefix}_SKIP`, 'boolean'),
    };
  }
  return {
    vrid,
    vridSource: source,
    password,
    intervalSeconds,
    priority,
    interfaces: reader.withDefault('ONEAPP_VNF_KEEPALIVED_INTERFACES', 'interfaces'),
    perNic,
  };
}

function assemble(reader: Reader): Config {
  const vmId = reader.optional('VMID', 'nonNegativeInteger');
  const serviceId = reader.optional('SERVICE_ID', 'nonNegativeInteger');

  const oneService = reader.withDefault('ONE_SERVICE_VERSION', 'version');
  const rke2Release = reader.optional('ONE_SERVICE_RKE2_RELEASE', 'version') ?? defaultRke2Release(oneService);
  const rke2 = reader.optional('ONE_SERVICE_RKE2_VERSION', 'version') ?? defaultRke2Version(rke2Release);

  const publicVip = reader.optional('ONEAPP_VROUTER_ETH0_VIP0', 'vip')?.address;
  const privateVip = reader.optional('ONEAPP_VROUTER_ETH1_VIP0', 'vip')?.address;
  const nics = readNics(reader);
  const loadBalancers = readLoadBalancers(reader, publicVip, nics);
  // LB0 and LB1 always exist: their ports have defaults.
  const lbPort = (index: number): number => loadBalancers.find((lb) => lb.index === index)?.port ?? 0;

  const endpoints = {
    supervisor: deriveEndpoint(reader.optional('ONEAPP_RKE2_SUPERVISOR_EP', 'endpoint'), publicVip, lbPort(0)),
    controlPlane: deriveEndpoint(reader.optional('ONEAPP_K8S_CONTROL_PLANE_EP', 'endpoint'), publicVip, lbPort(1)),
  };

  const clusterCidr = reader.withDefault('ONEAPP_K8S_CLUSTER_CIDR', 'ipv4Cidr');
  const serviceCidr = reader.withDefault('ONEAPP_K8S_SERVICE_CIDR', 'ipv4Cidr');
  const noProxy = reader.optional('ONEAPP_K8S_NO_PROXY', 'noProxyList') ?? defaultNoProxy({ endpoints: [endpoints.controlPlane, endpoints.supervisor], clusterCidr, serviceCidr, nics });

  return {
    onegate: {
      endpoint: reader.optional('ONEGATE_ENDPOINT', 'onegateUrl'),
      vmId,
      token: reader.optional('TOKENTXT', 'token'),
    },
    serviceId,
    reportReady: reader.withDefault('REPORT_READY', 'boolean'),
    airgapped: reader.withDefault('ONE_SERVICE_AIRGAPPED', 'boolean'),
    versions: {
      oneService,
      rke2Release,
      rke2,
      helm: reader.withDefault('ONE_SERVICE_HELM_VERSION', 'version'),
      longhornChart: reader.withDefault('ONEAPP_K8S_LONGHORN_CHART_VERSION', 'version'),
      metallbChart: reader.withDefault('ONEAPP_K8S_METALLB_CHART_VERSION', 'version'),
      traefikChart: reader.withDefault('ONEAPP_K8S_TRAEFIK_CHART_VERSION', 'version'),
    },
    network: {
      publicVip,
      privateVip,
      dnsEnabled: reader.withDefault('ONEAPP_VNF_DNS_ENABLED', 'boolean'),
      fallbackGateway: reader.optional('FALLBACK_GW', 'ipv4'),
      fallbackDns: reader.optional('FALLBACK_DNS', 'ipv4'),
    },
    nics,
    loadBalancers,
    haproxy: {
      interfaces: reader.withDefault('ONEAPP_VNF_HAPROXY_INTERFACES', 'interfaces'),
      refreshRateSeconds: reader.withDefault('ONEAPP_VNF_HAPROXY_REFRESH_RATE', 'refreshRate'),
      onegateEnabled: reader.withDefault('ONEAPP_VNF_HAPROXY_ONEGATE_ENABLED', 'boolean'),
      enabled: reader.withDefault('ONEAPP_VNF_HAPROXY_ENABLED', 'boolean'),
    },
    keepalived: readKeepalived(reader, nics, serviceId, vmId),
    nat4: {
      enabled: reader.withDefault('ONEAPP_VNF_NAT4_ENABLED', 'boolean'),
      interfacesOut: reader.optional('ONEAPP_VNF_NAT4_INTERFACES_OUT', 'interfaces') ?? { include: [], exclude: [] },
      portForwards: reader.setNamesOf('ONEAPP_VNF_NAT4_PORT_FWD<n>').flatMap((name) => {
        const forward = reader.optional(name, 'portForward');
        return forward === undefined ? [] : [{ ...forward, index: Number(/(\d+)$/.exec(name)?.[1]) }];
      }),
    },
    router4: {
      enabled: reader.withDefault('ONEAPP_VNF_ROUTER4_ENABLED', 'boolean'),
      interfaces: reader.withDefault('ONEAPP_VNF_ROUTER4_INTERFACES', 'interfaces'),
    },
    dns: {
      clusterDomain: reader.withDefault('ONEAPP_VNF_DNS_CLUSTER_DOMAIN', 'dnsDomain'),
      nameservers: reader.optional('ONEAPP_VNF_DNS_NAMESERVERS', 'dnsForwarders') ?? [],
      useRootServers: reader.withDefault('ONEAPP_VNF_DNS_USE_ROOTSERVERS', 'boolean'),
      interfaces: reader.optional('ONEAPP_VNF_DNS_INTERFACES', 'dnsListen'),
      allowedNetworks: reader.optional('ONEAPP_VNF_DNS_ALLOWED_NETWORKS', 'cidrList'),
      tcp: !reader.withDefault('ONEAPP_VNF_DNS_TCP_DISABLED', 'boolean'),
      udp: !reader.withDefault('ONEAPP_VNF_DNS_UDP_DISABLED', 'boolean'),
      upstreamTimeoutMs: reader.withDefault('ONEAPP_VNF_DNS_UPSTREAM_TIMEOUT', 'upstreamTimeout'),
      maxCacheTtlSeconds: reader.withDefault('ONEAPP_VNF_DNS_MAX_CACHE_TTL', 'cacheTtl'),
    },
    endpoints,
    k8s: {
      cni: reader.withDefault('ONEAPP_K8S_CNI_PLUGIN', 'cniName'),
      cniConfig: reader.optional('ONEAPP_K8S_CNI_CONFIG', 'base64Yaml'),
      multus: {
        enabled: reader.withDefault('ONEAPP_K8S_MULTUS_ENABLED', 'boolean'),
        config: reader.optional('ONEAPP_K8S_MULTUS_CONFIG', 'base64Yaml'),
      },
      cilium: {
        bgpEnabled: reader.withDefault('ONEAPP_K8S_CILIUM_BGP_ENABLED', 'boolean'),
        ranges: reader.setNamesOf('ONEAPP_K8S_CILIUM_RANGE*').flatMap((name) => reader.optional(name, 'cidrList') ?? []),
      },
      clusterCidr,
      serviceCidr,
      extraSans: reader.withDefault('ONEAPP_K8S_EXTRA_SANS', 'sanList'),
      cloudControllerEnabled: reader.withDefault('ONEAPP_RKE2_CLOUD_CONTROLLER_ENABLED', 'boolean'),
      waitSeconds: reader.withDefault('ONEAPP_K8S_WAIT_TIMEOUT', 'waitTimeout'),
      proxy: {
        http: reader.optional('ONEAPP_K8S_HTTP_PROXY', 'proxyUrl'),
        https: reader.optional('ONEAPP_K8S_HTTPS_PROXY', 'proxyUrl'),
        noProxy,
      },
    },
    addons: {
      metallb: {
        enabled: reader.withDefault('ONEAPP_K8S_METALLB_ENABLED', 'boolean'),
        loadBalancerClass: reader.withDefault('ONEAPP_K8S_METALLB_CLASS', 'loadBalancerClass'),
        config: reader.optional('ONEAPP_K8S_METALLB_CONFIG', 'base64Yaml'),
        ranges: reader.setNamesOf('ONEAPP_K8S_METALLB_RANGE*').flatMap((name) => reader.optional(name, 'addressRanges') ?? []),
      },
      traefik: { enabled: reader.withDefault('ONEAPP_K8S_TRAEFIK_ENABLED', 'boolean') },
      longhorn: { enabled: reader.withDefault('ONEAPP_K8S_LONGHORN_ENABLED', 'boolean') },
    },
    storage: {
      device: reader.optional('ONEAPP_STORAGE_DEVICE', 'devicePath'),
      filesystem: reader.withDefault('ONEAPP_STORAGE_FILESYSTEM', 'filesystem'),
      mountpoint: reader.withDefault('ONEAPP_STORAGE_MOUNTPOINT', 'mountPoint'),
    },
    unrecognized: reader.setNames(OWN_PREFIX).filter((name) => specFor(name) === undefined && !KNOWN_ELSEWHERE.has(name)),
  };
}
