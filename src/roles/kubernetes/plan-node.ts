import { missingForRole, type Config } from '../../config/index.ts';
import { ConfigError, InternalError, RuntimeProblem } from '../../errors.ts';
import { haproxyLbKeys, ONEGATE_K8S_NODE_NAME } from '../../onegate/keys.ts';
import type { Action, Decision, Plan, Probe } from '../../plan/plan.ts';
import type { LoadBalancer } from '../../config/config.ts';
import type { RoleFacts } from '../role.ts';
import { WAIT } from '../role.ts';
import type { DiskFacts } from '../storage/disk/index.ts';
import { decideJoin, mastersOf, type JoinDecision, type K8sRole } from './join-order.ts';
import { nodeNetworkActions } from './network.ts';
import { nodeIpv4, nodeNameOf, type LocalInterface } from './node-identity.ts';
import { proxyEnvironment, type ExistingRke2Config } from './rke2-config.ts';

// The pieces of a Kubernetes node's plan that masters, workers and storage nodes share. Each role's
// plan.ts (src/roles/master, worker, storage) puts them together in its own order. Pure.

/** What the shell found on the VM. */
export interface KubernetesLocal {
  interfaces: LocalInterface[];
  /** The current default route, to leave it alone when it is right already. */
  defaultRoute: { gateway?: string; dev?: string } | undefined;
  /** What /etc/rancher/rke2/config.yaml holds from an earlier run. */
  existingConfig: ExistingRke2Config;
  /** A fresh random token, used only when the cluster is created now. */
  newToken: string;
  /** Masters whose published IP accepts TCP on 6443. */
  reachableMasters: readonly number[];
  /** Add-on manifests that `oneke install` prepared (file names). */
  preparedManifests: readonly string[];
  /** The dedicated disk of a storage node. */
  disk: DiskFacts | undefined;
}

export type KubernetesFacts = RoleFacts<KubernetesLocal>;

/** The node's address and its Kubernetes name. */
export interface NodeIdentity {
  ip: string;
  nodeName: string;
}

/** The node's address and name; a clear error when none of OneGate's NICs is on this VM. */
export function identity(facts: KubernetesFacts): NodeIdentity {
  const ip = nodeIpv4(facts.cluster.self, facts.local.interfaces);
  if (!ip) {
    throw new RuntimeProblem(
      'ONEKE_NO_NODE_ADDRESS',
      `none of the NICs OneGate lists for VM ${facts.cluster.self.id} (${facts.cluster.self.nics.map((n) => `${n.ip ?? '?'}/${n.mac ?? '?'}`).join(', ') || 'none'}) is on a local interface`,
    );
  }
  return { ip, nodeName: nodeNameOf(ip) };
}

/** Hostname, then default route and DNS through the VNF (contract section 6). */
export function nodeSetup(facts: KubernetesFacts, nodeName: string): Action[] {
  return [{ kind: 'hostname', name: nodeName }, ...nodeNetworkActions(facts.config, facts.local)];
}

/**
 * The `ONEGATE_HAPROXY_LB<i>_*` keys by which this node offers itself as a backend of load balancer
 * i (the VNF matches them to its own LB by index, IP and port). LBs without an IP are left out.
 */
export function backendKeys(config: Config, indexes: readonly number[], ip: string, serverPort: (lb: LoadBalancer) => number): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const index of indexes) {
    const lb = config.loadBalancers[index];
    if (!lb?.ip) continue;
    const k = haproxyLbKeys(index);
    Object.assign(keys, { [k.ip]: lb.ip, [k.port]: String(lb.port), [k.serverHost]: ip, [k.serverPort]: String(serverPort(lb)) });
  }
  return keys;
}

/** The proxy environment of an RKE2 unit, when the configuration sets a proxy. */
export function proxyFile(config: Config, path: string): Action[] {
  const content = proxyEnvironment(config);
  return content ? [{ kind: 'file', path, mode: 0o600, content, secret: true }] : [];
}

export function waitAction(what: string, probe: Probe, seconds: number): Action {
  return { kind: 'wait', what, probe, deadlineSeconds: seconds };
}

export function nodePlan(role: K8sRole, decision: Decision, actions: Action[], warnings: readonly string[] = []): Plan {
  return { role, decision, actions, ...(warnings.length > 0 ? { warnings: [...warnings] } : {}) };
}

/** Masters and agents stop when the configuration lacks what a Kubernetes node needs. */
export function requireSettings(config: Config, role: K8sRole): void {
  const issues = missingForRole(config, role);
  if (issues.length > 0) throw new ConfigError(issues);
}

/** Where this node stands in the join order (the rule of join-order.ts), from what OneGate and the probes show. */
export function joinDecision(role: K8sRole, facts: KubernetesFacts): JoinDecision {
  const { cluster, local } = facts;
  return decideJoin({ role, self: cluster.self, masters: mastersOf(cluster.service), reachable: new Set(local.reachableMasters) });
}

/** A waiting node keeps its route and nameserver: the next look at OneGate goes through them. */
export function waitPlan(role: K8sRole, facts: KubernetesFacts, reason: string): Plan {
  return nodePlan(role, { kind: WAIT, reason, deadlineSeconds: facts.config.k8s.waitSeconds }, nodeNetworkActions(facts.config, facts.local));
}

/**
 * A node that is READY already starts RKE2 again without a new join: its name, route and DNS, then
 * `start` (the role's own actions, ending with the start of its unit).
 */
export function restartPlan(role: K8sRole, facts: KubernetesFacts, node: NodeIdentity, reason: string, start: readonly Action[], warnings: readonly string[] = []): Plan {
  // A READY node whose address changed would rejoin under another name or break etcd: stop and say so.
  const published = facts.cluster.self.userTemplate[ONEGATE_K8S_NODE_NAME];
  if (published && published !== node.nodeName) {
    throw new RuntimeProblem('ONEKE_NODE_IDENTITY_CHANGED', `this node joined as ${published} but its address is now ${node.ip} (${node.nodeName}); RKE2 is not started`);
  }
  return nodePlan(role, { kind: 'restart', reason }, [...nodeSetup(facts, node.nodeName), ...start], warnings);
}

/**
 * What every joining node does first: its name, route and DNS, the published node name, then what
 * the role prepares before RKE2 (`prepare`: a storage node's disk, an agent's masked server unit),
 * the proxy environment of its unit (`envFile`) and the folder of the RKE2 configuration.
 */
export function joinPrefix(facts: KubernetesFacts, nodeName: string, prepare: readonly Action[], envFile: string): Action[] {
  return [
    ...nodeSetup(facts, nodeName),
    { kind: 'publish', keys: { [ONEGATE_K8S_NODE_NAME]: nodeName } },
    ...prepare,
    ...proxyFile(facts.config, envFile),
    { kind: 'directory', path: '/etc/rancher/rke2', mode: 0o755 },
  ];
}

/** A decision the join rule never gives this role (a master never joins as an agent, an agent never creates the cluster). */
export function unexpectedDecision(role: K8sRole, decision: JoinDecision): never {
  throw new InternalError(`the join order gave a ${role} the decision ${decision.kind}`);
}
