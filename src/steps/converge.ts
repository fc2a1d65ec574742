import type { Config } from '../config/index.ts';
import { DeadlineError, OneGateError, oneLine } from '../errors.ts';
import { applyPlan } from '../executor/apply.ts';
import { backoffDelay, realClock, type Clock } from '../executor/wait.ts';
import type { Host } from '../host/host.ts';
import type { Logger, SecretSet } from '../log/logger.ts';
import type { OneGateClient } from '../onegate/client.ts';
import type { VmRecord } from '../onegate/parse.ts';
import type { Action, Plan, RoleName } from '../plan/plan.ts';
import { planRole } from '../roles/index.ts';
import { gatherNetwork } from '../roles/kubernetes/gather.ts';
import { contextMarksNode, keptNetworkActions, planNetworkFirst } from '../roles/kubernetes/network.ts';
import { WAIT, type ClusterView } from '../roles/role.ts';

// The shell's converge loop: look at OneGate and the VM, let the role plan, then apply the plan or
// wait and look again. The roles (src/roles) decide; this file applies, sleeps and keeps the time.

/** One look at OneGate: the service with every VM (one request), this VM taken from it. */
export async function observeCluster(client: Pick<OneGateClient, 'vmShow' | 'serviceShowExtended'>, vmId: number): Promise<ClusterView> {
  let service;
  try {
    service = await client.serviceShowExtended();
  } catch (error) {
    // A VM outside any service gets 400 here; it still has itself.
    if ((error as { status?: number }).status !== 400) throw error;
  }
  const self = service?.roles.flatMap((r) => r.nodes).find((n) => n.vmId === vmId)?.vm ?? (await client.vmShow());
  return { self, service };
}

/**
 * Polls of OneGate while waiting: quick at first, then at most every 2 s in a small service, so a
 * node notices a usable master within about 2 s; larger services poll less often, keeping the
 * whole service's load on OneGate around 25 requests a second (one request per poll each).
 */
export function waitBackoff(serviceSize: number): { initialMs: number; maxMs: number } {
  return { initialMs: 500, maxMs: Math.min(10_000, Math.max(2_000, serviceSize * 40)) };
}
const PROGRESS_EVERY_MS = 15_000;

export interface RoleRun {
  host: Host;
  logger: Logger;
  config: Config;
  client: OneGateClient;
  self: VmRecord;
  clock?: Clock;
  secrets?: SecretSet;
  /**
   * Actions to keep true while the VM waits (a node's default route and nameserver, applied before
   * the first OneGate request): asserted again before every look at OneGate, so a route that
   * something else changed is put back before the next request needs it.
   */
  keep?: readonly Action[];
}

/**
 * Before the first OneGate request: a VM whose context marks it a node behind the VNF sets its
 * default route and nameserver (the plan of `planNetworkFirst`). Returns what to keep while it waits
 * (empty for a VM the context does not mark: its role decides after OneGate answers).
 */
export async function networkFirst(host: Host, config: Config, logger: Logger): Promise<Action[]> {
  const facts = await gatherNetwork(host);
  if (!contextMarksNode(config, facts.interfaces)) return [];
  const plan = planNetworkFirst(config, facts);
  logger.info(plan.decision.reason);
  await applyPlan(plan, { host, logger });
  return keptNetworkActions(config, facts.interfaces);
}

/** What a node keeps while it waits, once its role is known (for a VM the context did not mark). */
export async function nodeNetworkToKeep(host: Host, config: Config): Promise<Action[]> {
  return keptNetworkActions(config, (await gatherNetwork(host)).interfaces);
}

/**
 * Converges this VM into its role: look at OneGate and the VM, decide, and either wait (poll again
 * after a backoff with jitter, up to the decision's deadline, saying what is awaited) or apply the
 * plan, which ends the run.
 */
export async function convergeRole(role: RoleName, run: RoleRun): Promise<Plan> {
  const clock = run.clock ?? realClock;
  let waitStarted: number | undefined;
  let lastReason = '';
  let lastProgress = 0;
  let serviceSize = 1;
  const keep = run.keep ?? [];
  const apply = (actions: readonly Action[]) =>
    applyPlan({ role, decision: { kind: WAIT, reason: 'keep' }, actions: [...actions] }, { host: run.host, logger: run.logger, clock, ...(run.secrets ? { secrets: run.secrets } : {}) });
  for (let poll = 0; ; poll++) {
    let plan: Plan;
    try {
      // The first look follows networkFirst or the role's own plan; later ones re-assert first.
      if (poll > 0 && keep.length > 0) await apply(keep);
      const cluster = await observeCluster(run.client, run.self.id);
      serviceSize = cluster.service?.roles.reduce((n, r) => n + r.nodes.length, 0) ?? 1;
      plan = await planRole(role, { host: run.host, logger: run.logger, config: run.config, cluster });
      if (plan.decision.kind !== WAIT) {
        run.logger.info({ decision: plan.decision.kind, actions: plan.actions.length }, plan.decision.reason);
        for (const warning of plan.warnings ?? []) run.logger.warn(warning);
        await applyPlan(plan, { host: run.host, logger: run.logger, onegate: run.client, clock, ...(run.secrets ? { secrets: run.secrets } : {}) });
        return plan;
      }
      // A wait plan's actions are what the VM keeps while it waits (a node's route and nameserver).
      if (plan.actions.length > 0) await apply(plan.actions);
    } catch (error) {
      // OneGate away for longer than one request's retries: keep going as a wait, within the same
      // deadline. The plan is safe to apply again: every action checks what is there first.
      if (!isPassingOneGateFailure(error)) throw error;
      plan = { role, decision: { kind: WAIT, reason: `OneGate to answer again (${oneLine(error)})` }, actions: [] };
    }
    const { decision } = plan;
    const now = clock.now();
    waitStarted ??= now;
    const deadlineMs = (decision.deadlineSeconds ?? run.config.k8s.waitSeconds) * 1000;
    const elapsed = now - waitStarted;
    if (elapsed >= deadlineMs) throw new DeadlineError(decision.reason, Math.round(elapsed / 1000));
    if (decision.reason !== lastReason || now - lastProgress >= PROGRESS_EVERY_MS) {
      run.logger.info({ elapsed: `${Math.round(elapsed / 1000)}s`, left: `${Math.round((deadlineMs - elapsed) / 1000)}s` }, `waiting for ${decision.reason}`);
      lastProgress = now;
      lastReason = decision.reason;
    }
    await clock.sleep(Math.min(deadlineMs - elapsed, backoffDelay(poll, waitBackoff(serviceSize), clock.random)));
  }
}

/** A OneGate failure that time may cure (no answer, 5xx, garbage); 400/401/403/404 on the VM are final. */
function isPassingOneGateFailure(error: unknown): boolean {
  if (!(error instanceof OneGateError)) return false;
  return error.status === undefined || error.status >= 500 || error.status === 200 || (error.status === 404 && error.path.startsWith('/service'));
}
