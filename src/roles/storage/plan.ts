import type { Plan } from '../../plan/plan.ts';
import { identity, joinDecision, joinPrefix, nodePlan, requireSettings, restartPlan, unexpectedDecision, waitPlan, type KubernetesFacts } from '../kubernetes/plan-node.ts';
import { RKE2_AGENT_ENV, RKE2_AGENT_UNIT, RKE2_CONFIG, RKE2_SERVER_UNIT } from '../kubernetes/paths.ts';
import { agentConfig } from '../kubernetes/rke2-config.ts';
import { planStorageDiskWithWarnings } from './disk/index.ts';

// The plan of a storage node (an RKE2 agent with a dedicated disk, labelled and tainted for Longhorn's
// replicas) from plain facts: it prepares and mounts its disk, then joins through a usable master. Pure.

export function planStorage(facts: KubernetesFacts): Plan {
  const { config, local } = facts;
  requireSettings(config, 'storage');
  // The disk is checked before any wait, so a missing device is reported at once, not once masters are ready.
  const disk = planStorageDiskWithWarnings(config.storage, local.disk);
  const decision = joinDecision('storage', facts);
  if (decision.kind === 'wait') return waitPlan('storage', facts, decision.reason);

  const { ip, nodeName } = identity(facts);
  switch (decision.kind) {
    case 'restart':
      return restartPlan(
        'storage',
        facts,
        { ip, nodeName },
        decision.reason,
        [...disk.actions, { kind: 'service', unit: RKE2_SERVER_UNIT, operation: 'mask' }, { kind: 'service', unit: RKE2_AGENT_UNIT, operation: 'start' }],
        disk.warnings,
      );
    case 'join-agent':
      return nodePlan(
        'storage',
        { kind: 'join-agent', reason: decision.reason },
        [
          ...joinPrefix(facts, nodeName, [...disk.actions, { kind: 'service', unit: RKE2_SERVER_UNIT, operation: 'mask' }], RKE2_AGENT_ENV),
          { kind: 'file', path: RKE2_CONFIG, mode: 0o600, content: agentConfig(config, nodeName, decision.via.token ?? '', true), secret: true },
          { kind: 'service', unit: RKE2_AGENT_UNIT, operation: 'start' },
        ],
        disk.warnings,
      );
    default:
      return unexpectedDecision('storage', decision);
  }
}
