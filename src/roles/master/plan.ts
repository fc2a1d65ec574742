import { addonManifests, ignoredAddonSettings, METALLB_CLASS_FILE, metallbClassOverride, preparedManifestNames } from '../../addons/index.ts';
import type { Config } from '../../config/index.ts';
import type { LoadBalancer } from '../../config/config.ts';
import { RuntimeProblem } from '../../errors.ts';
import { ONEGATE_K8S_MASTER, ONEGATE_K8S_TOKEN, ONEKE_KUBECONFIG } from '../../onegate/keys.ts';
import type { Action, Plan, Value } from '../../plan/plan.ts';
import { backendKeys, identity, joinDecision, joinPrefix, nodePlan, requireSettings, restartPlan, unexpectedDecision, waitAction, waitPlan, type KubernetesFacts } from '../kubernetes/plan-node.ts';
import {
  API_PORT,
  RKE2_ADMIN_CERT,
  RKE2_ADMIN_KEY,
  RKE2_CONFIG,
  RKE2_KUBECONFIG,
  RKE2_MANIFESTS,
  RKE2_NODE_TOKEN,
  RKE2_SERVER_CA,
  RKE2_SERVER_ENV,
  RKE2_SERVER_UNIT,
  SUPERVISOR_PORT,
} from '../kubernetes/paths.ts';
import { initialServerConfig, joiningServerConfig, requireEndpoint, rewrittenServerConfig } from '../kubernetes/rke2-config.ts';

// The plan of a master (an RKE2 server) from plain facts: the lowest master creates the cluster, the
// others join through the supervisor one at a time; each then publishes itself and the kubeconfig. Pure.

/** Masters serve the supervisor (LB0) and the API (LB1) on RKE2's own ports. */
const masterPort = (lb: LoadBalancer): number => (lb.index === 0 ? SUPERVISOR_PORT : API_PORT);

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
    waitAction("this server's own API", { kind: 'https', url: `https://${ip}:${API_PORT}/readyz`, ...ADMIN_TLS }, seconds),
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
    actions.push({ kind: 'file', path: `${RKE2_MANIFESTS}/${METALLB_CLASS_FILE}`, mode: 0o600, content: metallbClassOverride(config.addons.metallb.loadBalancerClass) });
  }
  for (const manifest of preparedManifestNames(config)) {
    if (!prepared.includes(manifest.name)) {
      throw new RuntimeProblem('ONEKE_ADDON_NOT_INSTALLED', `${manifest.path} is missing: the image was built without it`);
    }
    actions.push({ kind: 'symlink', path: `${RKE2_MANIFESTS}/${manifest.name}`, target: manifest.path });
  }
  return actions;
}

export function planMaster(facts: KubernetesFacts): Plan {
  const { config, local } = facts;
  requireSettings(config, 'master');
  const decision = joinDecision('master', facts);
  if (decision.kind === 'wait') return waitPlan('master', facts, decision.reason);

  const { ip, nodeName } = identity(facts);
  const warnings = ignoredAddonSettings(config).map((i) => `${i.variable} has no effect: ${i.reason}`);
  const seconds = config.k8s.waitSeconds;

  switch (decision.kind) {
    case 'restart':
      return restartPlan('master', facts, { ip, nodeName }, decision.reason, [{ kind: 'service', unit: RKE2_SERVER_UNIT, operation: 'start' }], warnings);
    case 'initialise': {
      const existing = local.existingConfig;
      const token = existing.token ?? local.newToken;
      return nodePlan(
        'master',
        { kind: 'initialise', reason: decision.reason },
        [
          ...joinPrefix(facts, nodeName, [], RKE2_SERVER_ENV),
          ...addons(config, local.preparedManifests),
          { kind: 'file', path: RKE2_CONFIG, mode: 0o600, content: initialServerConfig(config, nodeName, token, existing.server), secret: true },
          { kind: 'service', unit: RKE2_SERVER_UNIT, operation: 'start' },
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
        ],
        warnings,
      );
    }
    case 'join-server':
      return nodePlan(
        'master',
        { kind: 'join-server', reason: decision.reason },
        [
          ...joinPrefix(facts, nodeName, [], RKE2_SERVER_ENV),
          ...addons(config, local.preparedManifests),
          { kind: 'file', path: RKE2_CONFIG, mode: 0o600, content: joiningServerConfig(config, nodeName, decision.via.token ?? ''), secret: true },
          { kind: 'service', unit: RKE2_SERVER_UNIT, operation: 'start' },
          waitAction('the cluster token of this server', { kind: 'file', path: RKE2_NODE_TOKEN }, seconds),
          ...masterAfterStart(config, ip, seconds),
        ],
        warnings,
      );
    case 'join-agent':
      return unexpectedDecision('master', decision);
  }
}
