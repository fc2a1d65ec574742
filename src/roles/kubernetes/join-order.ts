import { isReady as isReadyValue, ONEGATE_K8S_MASTER, ONEGATE_K8S_TOKEN, READY } from '../../onegate/keys.ts';
import type { ServiceRecord, VmRecord } from '../../onegate/parse.ts';

// Who may do what, and when, from what the service publishes. Pure.
//
// etcd takes one new member at a time, so masters join one after another in the order of their VM
// IDs: a master joins only once every master with a lower ID has published ONEGATE_K8S_MASTER (it
// publishes that only after its rke2-server runs) or has left the service. Workers and storage
// nodes join as agents as soon as one master is usable.

/** A master as the service shows it. */
export interface MasterPeer {
  vmId: number;
  ready: boolean;
  /** ONEGATE_K8S_MASTER: its IP, published once rke2-server runs. */
  ip?: string;
  /** ONEGATE_K8S_TOKEN: the cluster join token. */
  token?: string;
  /** False when OneGate gave no full VM for the node (vm_info null or brief). */
  known: boolean;
}

export type K8sRole = 'master' | 'worker' | 'storage';

export type JoinDecision =
  | { kind: 'restart'; reason: string }
  | { kind: 'initialise'; reason: string }
  | { kind: 'join-server'; via: MasterPeer; reason: string }
  | { kind: 'join-agent'; via: MasterPeer; reason: string }
  | { kind: 'wait'; reason: string };

export function isReady(vm: VmRecord): boolean {
  return isReadyValue(vm.userTemplate[READY]);
}

/** The masters of the service, by VM ID. */
export function mastersOf(service: ServiceRecord | undefined): MasterPeer[] {
  const role = service?.roles.find((r) => r.name === 'master');
  const peers: MasterPeer[] = [];
  for (const node of role?.nodes ?? []) {
    if (node.vmId === undefined) continue;
    const vm = node.vm;
    const ip = vm?.userTemplate[ONEGATE_K8S_MASTER] || undefined;
    const token = vm?.userTemplate[ONEGATE_K8S_TOKEN] || undefined;
    peers.push({ vmId: node.vmId, ready: vm ? isReady(vm) : false, known: vm?.complete ?? false, ...(ip ? { ip } : {}), ...(token ? { token } : {}) });
  }
  return peers.sort((a, b) => a.vmId - b.vmId);
}

export interface JoinFacts {
  role: K8sRole;
  self: VmRecord;
  masters: readonly MasterPeer[];
  /** Masters whose IP accepts TCP on 6443 right now (probed by the shell). */
  reachable: ReadonlySet<number>;
}

function describe(peer: MasterPeer): string {
  return `master ${peer.vmId}${peer.ip ? ` (${peer.ip})` : ''}`;
}

/** A master that others can join through: READY, with its IP and token, and answering on 6443. */
export function usableMaster(facts: JoinFacts): MasterPeer | undefined {
  return facts.masters.find((m) => m.vmId !== facts.self.id && m.ready && m.ip && m.token && facts.reachable.has(m.vmId));
}

export function decideJoin(facts: JoinFacts): JoinDecision {
  const { self, masters, role } = facts;
  if (isReady(self)) return { kind: 'restart', reason: 'this VM is READY already: start RKE2, no new join' };

  const others = masters.filter((m) => m.vmId !== self.id);
  if (role === 'master') {
    const lowest = masters[0];
    const clusterExists = others.some((m) => m.ip || m.token || m.ready);
    const ownToken = self.userTemplate[ONEGATE_K8S_TOKEN];
    if (lowest?.vmId === self.id && !clusterExists) {
      if (others.some((m) => !m.known)) return { kind: 'wait', reason: 'OneGate to describe every master (a node has no VM info yet)' };
      return { kind: 'initialise', reason: `master ${self.id} has the lowest VM ID and no cluster exists yet${ownToken ? ' (resuming)' : ''}` };
    }
    const before = others.filter((m) => m.vmId < self.id && !m.ip);
    if (before.length > 0) {
      return { kind: 'wait', reason: `${before.map(describe).join(', ')} to join first (one etcd member joins at a time)` };
    }
  }
  const via = usableMaster(facts);
  if (!via) {
    const published = others.filter((m) => m.ready && m.ip && m.token);
    const state = published.length === 0 ? 'none is READY with its IP and token yet' : `${published.map(describe).join(', ')} not answering on 6443 yet`;
    return { kind: 'wait', reason: `a master to join through (${state})` };
  }
  return role === 'master'
    ? { kind: 'join-server', via, reason: `joining as a server through the supervisor, after ${describe(via)} became usable` }
    : { kind: 'join-agent', via, reason: `joining as an agent, ${describe(via)} is usable` };
}
