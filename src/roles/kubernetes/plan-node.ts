import { addonManifests, ignoredAddonSettings } from '../../addons/index.ts';
import { metallbClassOverride, preparedManifestNames } from '../../install/manifests.ts';
import { missingForRole, type Config } from '../../config/index.ts';
import { ConfigError, RuntimeProblem } from '../../errors.ts';
import { haproxyLbKeys, ONEGATE_K8S_MASTER, ONEGATE_K8S_NODE_NAME, ONEGATE_K8S_TOKEN, ONEKE_KUBECONFIG } from '../../onegate/keys.ts';
import type { Action, Decision, Plan, Probe, Value } from '../../plan/plan.ts';
import type { LoadBalancer } from '../../config/config.ts';
import type { RoleFacts } from '../role.ts';
import { WAIT } from '../role.ts';
import { planStorageDiskWithWarnings, type DiskFacts } from '../storage/disk/index.ts';
import { decideJoin, mastersOf, type JoinDecision, type K8sRole } from './join-order.ts';
import { nodeNetworkActions } from './network.ts';
import { nodeIpv4, nodeNameOf, type LocalInterface } from './node-identity.ts';
import {
  API_PORT,
  NODEPORT_OFFSET,
  RKE2_ADMIN_CERT,
  RKE2_ADMIN_KEY,
  RKE2_AGENT_ENV,
  RKE2_AGENT_UNIT,
  RKE2_CONFIG,
  RKE2_KUBECONFIG,
  RKE2_MANIFESTS,
  RKE2_NODE_TOKEN,
  RKE2_SERVER_CA,
  RKE2_SERVER_ENV,
  RKE2_SERVER_UNIT,
  SUPERVISOR_PORT,
} from './paths.ts';
import {
  agentConfig,
  initialServerConfig,
  joiningServerConfig,
  proxyEnvironment,
  requireEndpoint,
  rewrittenServerConfig,
  type ExistingRke2Config,
} from './rke2-config.ts';

// The plan of a Kubernetes node (master, worker, storage) from plain facts. Pure.

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

/** The node's address and name; a clear error when none of OneGate's NICs is on this VM. */
function identity(facts: KubernetesFacts): { ip: string; nodeName: string } {
  const ip = nodeIpv4(facts.cluster.self, facts.local.interfaces);
  if (!ip) {
    throw new RuntimeProblem(
      'ONEKE_NO_NODE_ADDRESS',
      `none of the NICs OneGate lists for VM ${facts.cluster.self.id} (${facts.cluster.self.nics.map((n) => `${n.ip ?? '?'}/${n.mac ?? '?'}`).join(', ') || 'none'}) is on a local interface`,
      'check the VM template NICs and the contextualization of the network',
    );
  }
  return { ip, nodeName: nodeNameOf(ip) };
}

/** Hostname, then default route and DNS through the VNF (contract section 6). */
function nodeSetup(facts: KubernetesFacts, nodeName: string): Action[] {
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

/** Masters serve the supervisor (LB0) and the API (LB1) on RKE2's own ports. */
const masterPort = (lb: LoadBalancer): number => (lb.index === 0 ? SUPERVISOR_PORT : API_PORT);
/** Workers serve ingress on Traefik's NodePorts: the LB port + 32000. */
const workerPort = (lb: LoadBalancer): number => lb.port + NODEPORT_OFFSET;

function proxyFile(config: Config, path: string): Action[] {
  const content = proxyEnvironment(config);
  return content ? [{ kind: 'file', path, mode: 0o600, content, secret: true }] : [];
}

function waitAction(what: string, probe: Probe, seconds: number): Action {
  return { kind: 'wait', what, probe, deadlineSeconds: seconds };
}

const ADMIN_TLS = { ca: RKE2_SERVER_CA, cert: RKE2_ADMIN_CERT, key: RKE2_ADMIN_KEY };

/** What a master does once rke2-server runs: publish, become a backend after its own /readyz, wait for the cluster, publish the kubeconfig. */
function masterAfterStart(config: Config, ip: string, seconds: number): Action[] {
  const controlPlane = requireEndpoint(config.endpoints.controlPlane, 'the control-plane endpoint');
  const endpoint = `https://${controlPlane.host}:${controlPlane.port}`;
  const token: Value = { from: 'file', path: RKE2_NODE_TOKEN };
  return [
    { kind: 'publish', keys: { [ONEGATE_K8S_MASTER]: ip, [ONEGATE_K8S_TOKEN]: token }, secret: [ONEGATE_K8S_TOKEN] },
    // A server behind the load balancer before it serves would take joins meant for the cluster
    // (rancher/rke2#5804): register only once its own API answers.
    waitAction('this server\'s own API', { kind: 'https', url: `https://${ip}:${API_PORT}/readyz`, ...ADMIN_TLS }, seconds),
    { kind: 'publish', keys: backendKeys(config, [0, 1], ip, masterPort) },
    waitAction('the API through the control-plane endpoint', { kind: 'https', url: `${endpoint}/readyz`, ...ADMIN_TLS }, seconds),
    waitAction('every node to report KubeletReady', { kind: 'nodes-ready', url: `${endpoint}/api/v1/nodes`, ...ADMIN_TLS }, seconds),
    {
      kind: 'publish',
      keys: { [ONEKE_KUBECONFIG]: { from: 'file', path: RKE2_KUBECONFIG, kubeconfigFor: endpoint } },
      secret: [ONEKE_KUBECONFIG],
    },
  ];
}

/** Add-on manifests a master hands to RKE2. */
function addons(config: Config, prepared: readonly string[]): Action[] {
  const actions: Action[] = [{ kind: 'directory', path: RKE2_MANIFESTS, mode: 0o700 }];
  for (const manifest of addonManifests(config)) {
    actions.push({ kind: 'file', path: `${RKE2_MANIFESTS}/${manifest.name}`, mode: 0o600, content: manifest.content });
  }
  // The chart was prepared at image build; the class is the boot-time variable's.
  if (config.addons.metallb.enabled) {
    actions.push({ kind: 'file', path: `${RKE2_MANIFESTS}/one-metallb-class.yaml`, mode: 0o600, content: metallbClassOverride(config.addons.metallb.loadBalancerClass) });
  }
  for (const manifest of preparedManifestNames(config)) {
    if (!prepared.includes(manifest.name)) {
      throw new RuntimeProblem('ONEKE_ADDON_NOT_INSTALLED', `${manifest.path} is missing: the image was built without it`, 'rebuild the image with oneke install, or disable the add-on');
    }
    actions.push({ kind: 'symlink', path: `${RKE2_MANIFESTS}/${manifest.name}`, target: manifest.path });
  }
  return actions;
}

function plan(role: K8sRole, decision: Decision, actions: Action[], warnings: readonly string[] = []): Plan {
  return { role, decision, actions, ...(warnings.length > 0 ? { warnings: [...warnings] } : {}) };
}

/** Masters and agents stop when the configuration lacks what a Kubernetes node needs. */
function requireSettings(config: Config, role: K8sRole): void {
  const issues = missingForRole(config, role);
  if (issues.length > 0) throw new ConfigError(issues);
}

export function planKubernetes(role: K8sRole, facts: KubernetesFacts): Plan {
  const { config, cluster, local } = facts;
  requireSettings(config, role);
  // The disk is checked before any wait, so a missing device is reported at once, not once masters are ready.
  const disk = role === 'storage' ? planStorageDiskWithWarnings(config.storage, local.disk) : { actions: [], warnings: [] };
  const masters = mastersOf(cluster.service);
  const decision: JoinDecision = decideJoin({ role, self: cluster.self, masters, reachable: new Set(local.reachableMasters) });
  // A waiting node keeps its route and nameserver: the next look at OneGate goes through them.
  if (decision.kind === 'wait') return plan(role, { kind: WAIT, reason: decision.reason, deadlineSeconds: config.k8s.waitSeconds }, nodeNetworkActions(config, local));

  const { ip, nodeName } = identity(facts);
  const unit = role === 'master' ? RKE2_SERVER_UNIT : RKE2_AGENT_UNIT;
  const masks: Action[] = role === 'master' ? [] : [{ kind: 'service', unit: RKE2_SERVER_UNIT, operation: 'mask' }];
  const storage = disk.actions;
  const warnings = [
    ...disk.warnings,
    ...(role === 'master' ? ignoredAddonSettings(config).map((i) => `${i.variable} has no effect: ${i.reason}`) : []),
  ];
  const seconds = config.k8s.waitSeconds;

  if (decision.kind === 'restart') {
    // A READY node whose address changed would rejoin under another name or break etcd: stop and say so.
    const published = cluster.self.userTemplate[ONEGATE_K8S_NODE_NAME];
    if (published && published !== nodeName) {
      throw new RuntimeProblem(
        'ONEKE_NODE_IDENTITY_CHANGED',
        `this node joined as ${published} but its address is now ${ip} (${nodeName}); RKE2 is not started`,
        'give the VM its old IP back, or remove it from the service and add a new one',
      );
    }
    return plan(role, { kind: 'restart', reason: decision.reason }, [...nodeSetup(facts, nodeName), ...storage, ...masks, { kind: 'service', unit, operation: 'start' }], warnings);
  }

  const common: Action[] = [
    ...nodeSetup(facts, nodeName),
    { kind: 'publish', keys: { [ONEGATE_K8S_NODE_NAME]: nodeName } },
    ...storage,
    ...masks,
    ...proxyFile(config, role === 'master' ? RKE2_SERVER_ENV : RKE2_AGENT_ENV),
    { kind: 'directory', path: '/etc/rancher/rke2', mode: 0o755 },
  ];

  switch (decision.kind) {
    case 'initialise': {
      const existing = local.existingConfig;
      const token = existing.token ?? local.newToken;
      return plan(role, { kind: 'initialise', reason: decision.reason }, [
        ...common,
        ...addons(config, local.preparedManifests),
        { kind: 'file', path: RKE2_CONFIG, mode: 0o600, content: initialServerConfig(config, nodeName, token, existing.server), secret: true },
        { kind: 'service', unit, operation: 'start' },
        waitAction('the cluster token of this server', { kind: 'file', path: RKE2_NODE_TOKEN }, seconds),
        // From now on a reboot rejoins through the supervisor instead of creating a new cluster.
        {
          kind: 'file',
          path: RKE2_CONFIG,
          mode: 0o600,
          content: rewrittenServerConfig(config, nodeName),
          secret: true,
          values: { NODE_TOKEN: { from: 'file', path: RKE2_NODE_TOKEN } },
        },
        ...masterAfterStart(config, ip, seconds),
      ], warnings);
    }
    case 'join-server':
      return plan(role, { kind: 'join-server', reason: decision.reason }, [
        ...common,
        ...addons(config, local.preparedManifests),
        { kind: 'file', path: RKE2_CONFIG, mode: 0o600, content: joiningServerConfig(config, nodeName, decision.via.token ?? ''), secret: true },
        { kind: 'service', unit, operation: 'start' },
        waitAction('the cluster token of this server', { kind: 'file', path: RKE2_NODE_TOKEN }, seconds),
        ...masterAfterStart(config, ip, seconds),
      ], warnings);
    case 'join-agent':
      return plan(role, { kind: 'join-agent', reason: decision.reason }, [
        ...common,
        { kind: 'file', path: RKE2_CONFIG, mode: 0o600, content: agentConfig(config, nodeName, decision.via.token ?? '', role === 'storage'), secret: true },
        { kind: 'service', unit, operation: 'start' },
          ...(role === 'worker' ? [{ kind: 'publish', keys: backendKeys(config, [2, 3], ip, workerPort) } satisfies Action] : []),
        ],
        warnings,
      );
  }
}
