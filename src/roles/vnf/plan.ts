import { subnetOf, type Config, type InterfaceSelection, type Nic } from '../../config/index.ts';
import { ConfigError } from '../../errors.ts';
import { isReady, READY } from '../../onegate/keys.ts';
import type { ServiceRecord } from '../../onegate/parse.ts';
import type { Action, Plan } from '../../plan/plan.ts';
import { renderHaproxyCfg } from './haproxy-cfg.ts';
import { renderKeepalivedConf, type VrrpInstance } from '../../render/keepalived-conf.ts';
import { renderNftables, renderNftablesRemoval } from './nftables.ts';
import { renderSysctlConf, vnfSysctls, VNF_SYSCTL_FILE } from './sysctl-conf.ts';
import { renderUnboundConf } from './unbound-conf.ts';
import type { RoleFacts } from '../role.ts';
import { collectBackends, type ServiceVm, type StaticLb } from './backends.ts';
import { unboundInput } from './dns.ts';
import { nicAddresses, resolvePlaceholder } from '../../config/placeholders.ts';

// The VNF: keepalived holds the VIPs, HAProxy forwards the cluster's ports to the nodes that
// publish themselves, nftables routes and masquerades the private network. Pure.

export const KEEPALIVED_CONF = '/etc/keepalived/keepalived.conf';
export const HAPROXY_CFG = '/etc/haproxy/haproxy.cfg';
export const NFTABLES_FILE = '/etc/nftables.d/oneke.nft';
export const KEEPALIVED_UNIT = 'keepalived.service';
export const HAPROXY_UNIT = 'haproxy.service';
export const VNF_SYNC_UNIT = 'oneke-vnf-sync.service';
/** Debian's unbound unit reads this file; ours replaces it whole (see unbound-conf.ts). */
export const UNBOUND_CONF = '/etc/unbound/unbound.conf';
export const UNBOUND_UNIT = 'unbound.service';

/** A VIP without a prefix length gets its NIC's, else this (the reference's fallback). */
const FALLBACK_PREFIX = 24;

/** The names a selection picks among the VM's NICs. */
export function selectInterfaces(selection: InterfaceSelection, nics: readonly Nic[]): string[] {
  const names = selection.include === 'all' ? nics.map((n) => n.name) : [...selection.include];
  return names.filter((name) => !selection.exclude.includes(name));
}

/** The VIPs of a NIC as keepalived takes them (`ETHn_VROUTER_IP` when there is no VIP). */
function nicVips(nic: Nic): string[] {
  const vips = nic.vips.length > 0 ? nic.vips.map((v) => ({ address: v.address, prefix: v.prefixLength })) : nic.vrouterIp ? [{ address: nic.vrouterIp, prefix: undefined }] : [];
  return vips.map((v) => `${v.address}/${v.prefix ?? nic.prefixLength ?? FALLBACK_PREFIX}`);
}

export interface VrrpPlan {
  readonly instances: VrrpInstance[];
  /** Skipped NICs whose VIPs no other NIC with the same VRID can carry. */
  readonly stranded: readonly string[];
}

/**
 * The VRRP instances: one per NIC with VIPs, in the selected interfaces, not management, not skipped.
 * A skipped NIC (`ONEAPP_VNF_KEEPALIVED_ETHn_SKIP`) gets no VRRP, but its VIPs move inside the instance
 * of the first other NIC with the same VRID (one with an address of its own first), which then has an
 * instance even without VIPs of its own. A NIC without an address of its own keeps its gateway through
 * `virtual_routes`. Without a VRID in the context (no VRID, no SERVICE_ID), `serviceId` (OneGate's)
 * gives the default, SERVICE_ID mod 255 + 1.
 */
export function vrrpPlan(config: Config, serviceId?: number): VrrpPlan {
  const selected = new Set(selectInterfaces(config.keepalived.interfaces, config.nics));
  const fromOneGate = serviceId !== undefined && ['VMID', 'fallback', 'VROUTER_ID'].includes(config.keepalived.vridSource) ? (serviceId % 255) + 1 : undefined;
  const eligible = config.nics.flatMap((nic) => {
    const settings = config.keepalived.perNic[nic.name];
    if (!settings || nic.management || !selected.has(nic.name)) return [];
    return [{ nic, settings, vrid: settings.ownVrid ? settings.vrid : (fromOneGate ?? settings.vrid), vips: nicVips(nic) }];
  });
  const carriers = eligible.filter((e) => !e.settings.skip).sort((a, b) => Number(a.nic.ip === undefined) - Number(b.nic.ip === undefined) || a.nic.index - b.nic.index);
  const adopted = new Map<string, { vips: { address: string; interface: string }[]; routes: NonNullable<VrrpInstance['routes']>[number][] }>();
  const stranded: string[] = [];
  const routesOf = (e: (typeof eligible)[number]) =>
    e.nic.ip === undefined && e.nic.gateway !== undefined && e.vips.length > 0 ? [{ destination: '0.0.0.0/0', via: e.nic.gateway, interface: e.nic.name }] : [];
  for (const skipped of eligible.filter((e) => e.settings.skip && e.vips.length > 0)) {
    const carrier = carriers.find((c) => c.vrid === skipped.vrid);
    if (carrier === undefined) {
      stranded.push(skipped.nic.name);
      continue;
    }
    const entry = adopted.get(carrier.nic.name) ?? { vips: [], routes: [] };
    entry.vips.push(...skipped.vips.map((address) => ({ address, interface: skipped.nic.name })));
    entry.routes.push(...routesOf(skipped));
    adopted.set(carrier.nic.name, entry);
  }
  const instances: VrrpInstance[] = [];
  for (const e of eligible) {
    const extra = adopted.get(e.nic.name);
    if (e.settings.skip || (e.vips.length === 0 && extra === undefined)) continue;
    const routes = [...routesOf(e), ...(extra?.routes ?? [])];
    instances.push({
      name: e.nic.name.toUpperCase(),
      interface: e.nic.name,
      vrid: e.vrid,
      priority: e.settings.priority,
      advertInterval: e.settings.intervalSeconds,
      password: e.settings.password,
      vips: [...e.vips, ...(extra?.vips ?? [])],
      ...(routes.length > 0 ? { routes } : {}),
    });
  }
  return { instances, stranded };
}

/** The VRRP instances; see vrrpPlan. */
export function vrrpInstances(config: Config, serviceId?: number): VrrpInstance[] {
  return vrrpPlan(config, serviceId).instances;
}

/** `ONEAPP_VNF_NAT4_PORT_FWD<n>` with its placeholders resolved. */
export function portForwards(config: Config): { address?: string | undefined; port: number; destination: string; destinationPort: number }[] {
  const nics = nicAddresses(config);
  return config.nat4.portForwards.map((f) => {
    const variable = `ONEAPP_VNF_NAT4_PORT_FWD${f.index}`;
    return {
      ...(f.address === undefined ? {} : { address: resolvePlaceholder(f.address, nics, variable) }),
      port: f.port,
      destination: resolvePlaceholder(f.destination, nics, variable),
      destinationPort: f.destinationPort ?? f.port,
    };
  });
}

/**
 * With ONEAPP_VNF_HAPROXY_INTERFACES set, a load balancer binds only an address of those NICs (an IP,
 * a VIP, or in their subnet); one elsewhere is a configuration error, named, exit 2.
 */
function checkHaproxyInterfaces(config: Config): void {
  if (config.haproxy.interfaces.include === 'all' && config.haproxy.interfaces.exclude.length === 0) return;
  const selected = new Set(selectInterfaces(config.haproxy.interfaces, config.nics));
  const nics = nicAddresses(config);
  const issues = [];
  for (const lb of config.loadBalancers) {
    if (lb.ip === undefined) continue;
    const ip = resolvePlaceholder(lb.ip, nics, `ONEAPP_VNF_HAPROXY_LB${lb.index}_IP`);
    const owner =
      config.nics.find((nic) => nic.ip === ip || nic.vips.some((v) => v.address === ip) || nic.vrouterIp === ip) ??
      config.nics.find((nic) => nic.ip !== undefined && nic.prefixLength !== undefined && subnetOf(nic.ip, nic.prefixLength) === subnetOf(ip, nic.prefixLength));
    if (owner === undefined || !selected.has(owner.name)) {
      issues.push({
        variable: `ONEAPP_VNF_HAPROXY_LB${lb.index}_IP`,
        shown: lb.ip,
        expected: `an address of ONEAPP_VNF_HAPROXY_INTERFACES (${[...selected].join(', ') || 'none'})${owner ? `, not of ${owner.name}` : ''}`,
      });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
}

/** The load balancers of the context, with an IP; their static servers. */
export function staticLoadBalancers(config: Config): StaticLb[] {
  return config.loadBalancers
    .filter((lb) => lb.ip !== undefined)
    .map((lb) => ({ index: lb.index, ip: lb.ip as string, port: lb.port, servers: lb.staticServers.map((s) => ({ host: s.host, port: s.port, index: s.index })) }));
}

/** Every VM of the service that OneGate described fully. */
export function serviceVms(service: ServiceRecord | undefined): ServiceVm[] {
  return (service?.roles ?? []).flatMap((role) => role.nodes.flatMap((node) => (node.vm ? [{ id: node.vm.id, userTemplate: node.vm.userTemplate }] : [])));
}

/** haproxy.cfg for the service as it is now, or undefined when no LB has an IP (nothing to serve). */
export function renderVnfHaproxy(config: Config, service: ServiceRecord | undefined): { text: string | undefined; warnings: string[] } {
  const lbs = staticLoadBalancers(config);
  if (lbs.length === 0) return { text: undefined, warnings: [] };
  const useOneGate = config.haproxy.onegateEnabled && service !== undefined;
  const { loadBalancers, warnings } = collectBackends(lbs, useOneGate ? serviceVms(service) : [], { nics: nicAddresses(config) });
  return { text: renderHaproxyCfg({ loadBalancers }), warnings };
}

export interface VnfLocal {
  /** NIC names that exist on this VM but are down: a NIC that carries only a VIP must be brought up. */
  downInterfaces: readonly string[];
  /** Nameservers of the VNF's /etc/resolv.conf: upstream of its DNS when nothing else is set. */
  resolvConf?: readonly string[] | undefined;
}

export function planVnf(facts: RoleFacts<VnfLocal>): Plan {
  const { config, cluster, local } = facts;
  const ready = isReady(cluster.self.userTemplate[READY]);
  const actions: Action[] = [];

  // Routing first: HAProxy binds VIPs that the other VNF may hold, and NAT must work for the nodes.
  const forward = config.nat4.enabled || config.router4.enabled;
  const sysctls = vnfSysctls({ forward });
  actions.push({ kind: 'file', path: VNF_SYSCTL_FILE, mode: 0o644, content: renderSysctlConf(sysctls) });
  actions.push({ kind: 'command', argv: ['sysctl', '-q', '-w', ...Object.entries(sysctls).map(([k, v]) => `${k}=${v}`)], why: 'apply the VNF sysctls now' });
  const nftables = forward
    ? renderNftables({
        forward: true,
        ...(config.router4.enabled && config.router4.interfaces.include !== 'all' ? { forwardInterfaces: selectInterfaces(config.router4.interfaces, config.nics) } : {}),
        masqueradeOut: config.nat4.enabled ? selectInterfaces(config.nat4.interfacesOut, config.nics) : [],
        portForwards: config.nat4.enabled ? portForwards(config) : [],
      })
    : renderNftablesRemoval();
  actions.push({ kind: 'file', path: NFTABLES_FILE, mode: 0o644, content: nftables });
  actions.push({ kind: 'command', argv: ['nft', '-f', NFTABLES_FILE], paths: [2], why: forward ? 'route and masquerade the private network' : 'no routing: remove our table' });

  const vrrp = vrrpPlan(config, config.serviceId ?? cluster.service?.id);
  if (vrrp.stranded.length > 0) {
    throw new ConfigError(
      vrrp.stranded.map((name) => ({
        variable: `ONEAPP_VNF_KEEPALIVED_${name.toUpperCase()}_SKIP`,
        shown: 'YES',
        expected: `NO, or another NIC with the same VRID to carry the VIPs of ${name}`,
      })),
    );
  }
  const instances = vrrp.instances;
  for (const name of local.downInterfaces) {
    if (instances.some((i) => i.interface === name)) actions.push({ kind: 'command', argv: ['ip', 'link', 'set', 'dev', name, 'up'], why: `${name} carries only a VIP` });
  }
  if (instances.length > 0) {
    const conf = renderKeepalivedConf({ routerId: `oneke-vm-${cluster.self.id}`, syncGroup: 'ONEKE', instances });
    actions.push({ kind: 'file', path: KEEPALIVED_CONF, mode: 0o600, content: conf, secret: instances.some((i) => i.password) });
    actions.push({ kind: 'service', unit: KEEPALIVED_UNIT, operation: 'reload-or-restart' });
  }

  if (config.haproxy.enabled) checkHaproxyInterfaces(config);
  const haproxy = config.haproxy.enabled ? renderVnfHaproxy(config, cluster.service) : { text: undefined, warnings: [] };
  if (haproxy.text !== undefined) {
    actions.push({ kind: 'file', path: HAPROXY_CFG, mode: 0o644, content: haproxy.text });
    actions.push({ kind: 'command', argv: ['haproxy', '-c', '-q', '-f', HAPROXY_CFG], paths: [4], why: 'check the configuration before HAProxy loads it' });
    actions.push({ kind: 'service', unit: HAPROXY_UNIT, operation: 'reload-or-restart' });
    if (config.haproxy.onegateEnabled) actions.push({ kind: 'service', unit: VNF_SYNC_UNIT, operation: 'restart' });
  }

  // The nodes' nameserver is the private VIP, else FALLBACK_DNS (the first VNF's ETH1_IP): unbound
  // answers on both, and on a VIP from the moment keepalived brings it here.
  let dnsWhy: string | undefined;
  if (config.network.dnsEnabled) {
    const { input, why } = unboundInput(config, local.resolvConf ?? []);
    dnsWhy = why;
    actions.push({ kind: 'file', path: UNBOUND_CONF, mode: 0o644, content: renderUnboundConf(input) });
    actions.push({ kind: 'command', argv: ['unbound-checkconf', UNBOUND_CONF], paths: [1], why: 'check the DNS configuration before unbound loads it' });
    actions.push({ kind: 'service', unit: UNBOUND_UNIT, operation: 'restart' });
  }

  const what = [
    instances.length > 0 ? `${instances.length} VRRP instance(s)` : 'no VIP',
    haproxy.text ? 'HAProxy' : 'no load balancer',
    forward ? 'routing' : 'no routing',
    dnsWhy ? `DNS (${dnsWhy})` : 'no DNS',
  ];
  return {
    role: 'vnf',
    decision: { kind: ready ? 'restart' : 'configure', reason: `${ready ? 'READY already: re-render from the context and start' : 'configure the VNF'}: ${what.join(', ')}` },
    actions,
  };
}
