// Which Kubernetes nodes the cleaner may delete: those named `oneke-ip-<a>-<b>-<c>-<d>` that no VM of
// the OneFlow service claims any more (contract section 6). Pure.
//
// A node is claimed by a VM when the VM publishes its name (ONEGATE_K8S_NODE_NAME) or when the name
// is made from one of the VM's IPv4s: a VM that has not published yet still claims its would-be name.
// The rule that matters most is the other way round: when OneGate's answer is incomplete in any way
// (no answer, a Kubernetes role left out, a role short of its cardinality while it is changing, a
// node whose vm_info is null, a VM without its USER_TEMPLATE), nothing is deleted,
// since a glitch must never cost a healthy node. Only a complete picture of the service can show
// that a node is stale.

import { nodeNameOf } from './node-identity.ts';
import { isIpv4 } from '../../net/address.ts';
import { ONEGATE_K8S_MASTER, ONEGATE_K8S_NODE_NAME, ROLE_NAME } from '../../onegate/keys.ts';
import type { Nic, ServiceRecord, VmRecord } from '../../onegate/parse.ts';
import { ROLE_NAMES } from '../../plan/plan.ts';

/** The roles whose VMs run Kubernetes nodes: an answer without one of them cannot show a node gone. */
const NODE_ROLES = ROLE_NAMES.filter((name) => name !== 'vnf');
/**
 * OneFlow role states in which the role's node list is settled: RUNNING (2) and WARNING (4). In any
 * other (deploying, scaling, cooldown…) a role may list fewer nodes than its cardinality while VMs
 * come and go, so a missing node there proves nothing.
 */
const SETTLED_ROLE_STATES: ReadonlySet<number> = new Set([2, 4]);

/**
 * The names the cleaner may ever delete: exactly the ones `nodeNameOf` makes from an IPv4. A name
 * with a leading zero or an octet over 255 was not made by OneKE and is never touched.
 */
export function isCandidateName(name: string): boolean {
  const ipv4 = name.replace(/^oneke-ip-/, '').replaceAll('-', '.');
  return isIpv4(ipv4) && nodeNameOf(ipv4) === name;
}

export interface StaleNodesOptions {
  /** The Kubernetes node this master runs on: never deleted, whatever the answer says. */
  selfNodeName?: string | undefined;
  /** This VM's ID: the answer must list it, or it is not the service this VM belongs to. */
  selfVmId?: number | undefined;
  /**
   * Nodes whose Ready condition is True. An unclaimed node that is still Ready has a live kubelet:
   * it is kept (and reported), and goes at a later run once its VM is really gone.
   */
  readyNodes?: Iterable<string>;
}

export type StaleVerdict =
  /** `delete`: stale and not Ready. `keptReady`: stale by name, but its kubelet still reports Ready. */
  | { delete: string[]; keptReady: string[] }
  /** Nothing may be deleted; one line saying why. */
  | { refuse: string };

function ipv4sOf(nics: readonly Nic[]): string[] {
  const out: string[] = [];
  for (const nic of nics) {
    for (const ip of [nic.ip, nic.externalIp]) {
      const clean = ip?.trim();
      if (clean && isIpv4(clean)) out.push(clean);
    }
  }
  return out;
}

/** Every node name a VM claims: its published name, and the name of each of its IPv4s. */
export function namesClaimedBy(vm: VmRecord): string[] {
  const names = new Set<string>();
  const published = vm.userTemplate[ONEGATE_K8S_NODE_NAME]?.trim();
  if (published) names.add(published);
  // A master's published IP names its node too (it is the IP its node name was made from).
  const masterIp = vm.userTemplate[ONEGATE_K8S_MASTER]?.trim();
  if (masterIp && isIpv4(masterIp)) names.add(nodeNameOf(masterIp));
  for (const ip of ipv4sOf([...vm.nics, ...vm.nicAliases])) names.add(nodeNameOf(ip));
  return [...names];
}

/**
 * The names claimed by the VMs of the service, or the reason why the answer is not complete enough
 * to tell. Strict on purpose: every node of every role must come with its full VM.
 */
export function claimedNames(service: ServiceRecord | undefined, selfVmId?: number): { claimed: Set<string> } | { refuse: string } {
  if (service === undefined) return { refuse: 'no answer from OneGate about the service' };
  if (service.roles.length === 0) return { refuse: `OneGate lists no roles in service ${service.id}` };
  const missing = NODE_ROLES.find((name) => !service.roles.some((role) => role.name === name));
  if (missing !== undefined) return { refuse: `OneGate's answer about service ${service.id} has no role ${missing}` };
  const claimed = new Set<string>();
  let selfSeen = false;
  for (const role of service.roles) {
    if (role.nodes.length < role.cardinality && (role.state === undefined || !SETTLED_ROLE_STATES.has(role.state))) {
      return { refuse: `role ${role.name} lists ${role.nodes.length} of its ${role.cardinality} VMs while in state ${role.state ?? 'unknown'} (not settled)` };
    }
    for (const [index, node] of role.nodes.entries()) {
      const which = `node ${index} of role ${role.name}${node.vmId === undefined ? '' : ` (VM ${node.vmId})`}`;
      // vm_info null (OpenNebula issue 6406): the VM is unknown for now, whatever else the client
      // found out about it.
      if (node.vmInfo === 'missing') return { refuse: `${which} has no vm_info in OneGate's answer` };
      const vm = node.vm;
      if (vm === undefined || !vm.complete) return { refuse: `${which}: OneGate did not show the full VM` };
      if (node.vmId !== undefined && node.vmId !== vm.id) return { refuse: `${which}: OneGate showed VM ${vm.id} for it` };
      // OneFlow sets ROLE_NAME in the USER_TEMPLATE of every VM it creates: without it, the answer
      // lacks the USER_TEMPLATE (and with it the published node name).
      if (!vm.userTemplate[ROLE_NAME]) return { refuse: `${which}: OneGate showed the VM without its USER_TEMPLATE` };
      const names = namesClaimedBy(vm);
      if (names.length === 0) return { refuse: `${which}: OneGate showed neither ${ONEGATE_K8S_NODE_NAME} nor an IPv4 of the VM` };
      for (const name of names) claimed.add(name);
      if (vm.id === selfVmId) selfSeen = true;
    }
  }
  if (selfVmId !== undefined && !selfSeen) return { refuse: `this VM (${selfVmId}) is not among the nodes of service ${service.id} in OneGate's answer` };
  return { claimed };
}

/**
 * The nodes to delete among `k8sNodeNames`, or a refusal. Candidates are only names that OneKE makes
 * (`oneke-ip-a-b-c-d`); other nodes, the node of this master, and every claimed name are kept.
 * Sorted, without duplicates.
 */
export function staleNodes(k8sNodeNames: readonly string[], service: ServiceRecord | undefined, options: StaleNodesOptions = {}): StaleVerdict {
  const result = claimedNames(service, options.selfVmId);
  if ('refuse' in result) return result;
  const ready = new Set(options.readyNodes ?? []);
  const stale = [...new Set(k8sNodeNames)].filter((name) => isCandidateName(name) && !result.claimed.has(name) && name !== options.selfNodeName).sort();
  return { delete: stale.filter((name) => !ready.has(name)), keptReady: stale.filter((name) => ready.has(name)) };
}
