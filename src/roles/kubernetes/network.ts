import type { Config } from '../../config/index.ts';
import { subnetOf } from '../../config/derive.ts';
import type { LocalInterface } from '../../host/host.ts';
import type { Action, Plan } from '../../plan/plan.ts';

// The network of a Kubernetes node (contract section 6): its default route through the VNF (the
// private VIP, else FALLBACK_GW) and its only nameserver (the private VIP, else FALLBACK_DNS, when
// ONEAPP_VNF_DNS_ENABLED). On a private network OneGate is reachable only through the VNF's NAT, and
// the endpoints of the official template are names only the VNF's DNS knows (`ep0.eth0.vr`), so
// both are set before the first OneGate request and kept while the node waits. Pure.

export const RESOLV_CONF = '/etc/resolv.conf';

/** What the shell found: the interfaces and the current default route. */
export interface NetworkFacts {
  interfaces: LocalInterface[];
  /** The first default route, or undefined when there is none (or it could not be read). */
  defaultRoute: { gateway?: string; dev?: string } | undefined;
}

/** The gateway and the nameserver a node takes from its context; undefined when the context names none. */
export function nodeNetworkTargets(config: Config): { gateway: string | undefined; nameserver: string | undefined } {
  const { privateVip, fallbackGateway, fallbackDns, dnsEnabled } = config.network;
  return { gateway: privateVip ?? fallbackGateway, nameserver: dnsEnabled ? (privateVip ?? fallbackDns) : undefined };
}

/**
 * The interface that reaches `gateway`: the context's NIC whose subnet holds it (found locally by
 * its MAC, else by its IP, else by its context name), else eth0 as the reference assumes.
 */
export function gatewayDevice(config: Config, interfaces: readonly LocalInterface[], gateway: string): string {
  for (const nic of config.nics) {
    if (nic.ip === undefined || nic.prefixLength === undefined) continue;
    if (subnetOf(nic.ip, nic.prefixLength) !== subnetOf(gateway, nic.prefixLength)) continue;
    const mac = nic.mac?.toLowerCase();
    const local = (mac ? interfaces.find((i) => i.mac.toLowerCase() === mac) : undefined) ?? interfaces.find((i) => i.ipv4.includes(nic.ip as string));
    return local?.name ?? nic.name;
  }
  return 'eth0';
}

/** The route and resolv.conf actions; the route only when it is not right already. */
export function nodeNetworkActions(config: Config, facts: NetworkFacts): Action[] {
  const { gateway, nameserver } = nodeNetworkTargets(config);
  const actions: Action[] = [];
  if (gateway) {
    const dev = gatewayDevice(config, facts.interfaces, gateway);
    if (facts.defaultRoute?.gateway !== gateway || facts.defaultRoute.dev !== dev) {
      actions.push({ kind: 'command', argv: ['ip', 'route', 'replace', 'default', 'via', gateway, 'dev', dev], why: 'the VNF is the gateway (OneGate and the internet are behind its NAT)' });
    }
  }
  if (nameserver) actions.push({ kind: 'file', path: RESOLV_CONF, mode: 0o644, content: `nameserver ${nameserver}\n` });
  return actions;
}

/** The same actions whatever the route is now: asserted again before each look at OneGate. */
export function keptNetworkActions(config: Config, interfaces: readonly LocalInterface[]): Action[] {
  return nodeNetworkActions(config, { interfaces: [...interfaces], defaultRoute: undefined });
}

/**
 * Whether the context alone says this VM is a Kubernetes node behind a VNF, before OneGate has told
 * its role: every role boots the same image, and only the node roles get FALLBACK_GW/FALLBACK_DNS
 * (the first VNF's private IP, in the official template and ours). A VM that carries the gateway
 * itself is the VNF. Without FALLBACK_* (VIPs only) the role decides after the first OneGate answer.
 */
export function contextMarksNode(config: Config, interfaces: readonly LocalInterface[]): boolean {
  const { fallbackGateway, fallbackDns } = config.network;
  if (fallbackGateway === undefined && fallbackDns === undefined) return false;
  const { gateway } = nodeNetworkTargets(config);
  const own = new Set(interfaces.flatMap((i) => i.ipv4));
  return !own.has(gateway ?? '') && !own.has(fallbackGateway ?? '') && !own.has(fallbackDns ?? '');
}

/** The plan run before the first OneGate request of a node (empty actions when there is nothing to set). */
export function planNetworkFirst(config: Config, facts: NetworkFacts): Plan {
  const { gateway, nameserver } = nodeNetworkTargets(config);
  const parts = [...(gateway ? [`default route via ${gateway}`] : []), ...(nameserver ? [`nameserver ${nameserver}`] : [])];
  return {
    role: 'unknown',
    decision: { kind: 'network', reason: parts.length > 0 ? `network first, to reach OneGate through the VNF: ${parts.join(', ')}` : 'no gateway or nameserver in the context' },
    actions: nodeNetworkActions(config, facts),
  };
}
