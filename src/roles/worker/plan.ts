import type { LoadBalancer } from '../../config/config.ts';
import type { Plan } from '../../plan/plan.ts';
import { backendKeys, identity, joinDecision, joinPrefix, nodePlan, requireSettings, restartPlan, unexpectedDecision, waitPlan, type KubernetesFacts } from '../kubernetes/plan-node.ts';
import { NODEPORT_OFFSET, RKE2_AGENT_ENV, RKE2_AGENT_UNIT, RKE2_CONFIG, RKE2_SERVER_UNIT } from '../kubernetes/paths.ts';
import { agentConfig } from '../kubernetes/rke2-config.ts';

// The plan of a worker (an RKE2 agent for workloads) from plain facts: it joins through a usable
// master, then offers itself as a backend of the ingress load balancers. Pure.

/** Workers serve ingress on Traefik's NodePorts: the LB port + 32000. */
const workerPort = (lb: LoadBalancer): number => lb.port + NODEPORT_OFFSET;

export function planWorker(facts: KubernetesFacts): Plan {
  const { config } = facts;
  requireSettings(config, 'worker');
  const decision = joinDecision('worker', facts);
  if (decision.kind === 'wait') return waitPlan('worker', facts, decision.reason);

  const { ip, nodeName } = identity(facts);
  switch (decision.kind) {
    case 'restart':
      return restartPlan('worker', facts, { ip, nodeName }, decision.reason, [
        { kind: 'service', unit: RKE2_SERVER_UNIT, operation: 'mask' },
        { kind: 'service', unit: RKE2_AGENT_UNIT, operation: 'start' },
      ]);
    case 'join-agent':
      return nodePlan('worker', { kind: 'join-agent', reason: decision.reason }, [
        ...joinPrefix(facts, nodeName, [{ kind: 'service', unit: RKE2_SERVER_UNIT, operation: 'mask' }], RKE2_AGENT_ENV),
        { kind: 'file', path: RKE2_CONFIG, mode: 0o600, content: agentConfig(config, nodeName, decision.via.token ?? '', false), secret: true },
        { kind: 'service', unit: RKE2_AGENT_UNIT, operation: 'start' },
        { kind: 'publish', keys: backendKeys(config, [2, 3], ip, workerPort) },
      ]);
    default:
      return unexpectedDecision('worker', decision);
  }
}
