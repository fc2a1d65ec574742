import { oneLine, UsageError } from '../errors.ts';
import { applyPlan } from '../executor/apply.ts';
import { realClock, type Clock } from '../executor/wait.ts';
import type { Config } from '../config/index.ts';
import type { Host } from '../host/host.ts';
import type { Logger } from '../log/logger.ts';
import type { OneGateClient } from '../onegate/client.ts';
import type { Action } from '../plan/plan.ts';
import { roleOf } from '../roles/index.ts';
import { HAPROXY_CFG } from '../roles/vnf/plan.ts';
import { planVnfSync } from '../roles/vnf/sync.ts';
import type { StepEnv } from './env.ts';
import { oneGateFor, readInputs } from './inputs.ts';

// `oneke vnf sync`: HAProxy's backends follow the service. Each poll is one OneGate request; the
// configuration is re-rendered, checked with `haproxy -c` and loaded only when it changed. When
// OneGate fails or answers garbage, HAProxy keeps serving the last good configuration. The decision
// is src/roles/vnf/sync.ts (a plan, which `oneke plan --step vnf-sync` prints); this file applies it.

export type SyncResult = 'changed' | 'unchanged' | 'invalid' | 'onegate-failed' | 'no-load-balancer';

export interface SyncDeps {
  host: Host;
  logger: Logger;
  config: Config;
  client: Pick<OneGateClient, 'serviceShowExtended'>;
}

/** The `server` lines of a configuration, to say what a change added and removed. */
function servers(text: string | undefined): Set<string> {
  return new Set(
    (text ?? '')
      .split('\n')
      .filter((l) => l.trim().startsWith('server '))
      .map((l) => l.trim().split(/\s+/).slice(1, 3).join(' ')),
  );
}

/** One poll: ask OneGate, plan, and apply the plan when it passes `haproxy -c`. */
export async function syncOnce(deps: SyncDeps, previousWarnings: { value: string } = { value: '' }): Promise<SyncResult> {
  const { host, logger, config, client } = deps;
  let service;
  try {
    service = await client.serviceShowExtended();
  } catch (error) {
    logger.warn(`OneGate failed, keeping the current backends: ${oneLine(error)}`);
    return 'onegate-failed';
  }
  const current = await host.readFile(HAPROXY_CFG);
  const { verdict, plan, text, warnings: list } = planVnfSync(config, service, current);
  const warnings = list.join('\n');
  if (warnings !== previousWarnings.value) {
    for (const warning of list) logger.warn(warning);
    previousWarnings.value = warnings;
  }
  if (verdict !== 'changed') return verdict;

  // The plan's check (its `command` action) runs here, so that a configuration HAProxy refuses
  // is logged and left out rather than failing the poll.
  const at = plan.actions.findIndex((a) => a.kind === 'command');
  const check = plan.actions[at] as Extract<Action, { kind: 'command' }>;
  const candidate = plan.actions.slice(at + 1).find((a) => a.kind === 'remove');
  await applyPlan({ ...plan, actions: plan.actions.slice(0, at) }, { host, logger });
  const argv = check.argv.map((arg, i) => (check.paths?.includes(i) ? host.hostPath(arg) : arg));
  const checked = await host.exec(argv[0] ?? '', argv.slice(1));
  if (checked.exitCode !== 0) {
    logger.error({ stderr: checked.stderr.trim().split('\n').slice(-3).join(' | ') }, 'the new HAProxy configuration does not validate; keeping the current one');
    if (candidate) await applyPlan({ ...plan, actions: [candidate] }, { host, logger });
    return 'invalid';
  }
  const before = servers(current);
  const after = servers(text);
  const rest = plan.actions.slice(at + 1);
  const reload = rest.findIndex((a) => a.kind === 'service');
  await applyPlan({ ...plan, actions: rest.slice(0, reload) }, { host, logger });
  logger.info({ added: [...after].filter((s) => !before.has(s)), removed: [...before].filter((s) => !after.has(s)) }, 'HAProxy backends changed; reloading');
  await applyPlan({ ...plan, actions: rest.slice(reload) }, { host, logger });
  return 'changed';
}

/** Polls until `signal` aborts; a failed poll never ends the loop. */
export async function runSync(deps: SyncDeps, clock: Clock, signal: AbortSignal, onPoll?: (result: SyncResult) => void): Promise<void> {
  const intervalMs = deps.config.haproxy.refreshRateSeconds * 1000;
  const warnings = { value: '' };
  deps.logger.info({ everySeconds: deps.config.haproxy.refreshRateSeconds }, "following the service's backends");
  while (!signal.aborted) {
    let result: SyncResult;
    try {
      result = await syncOnce(deps, warnings);
    } catch (error) {
      // A local failure (disk, reload): say so and try again next time instead of dying.
      deps.logger.error(`sync failed: ${oneLine(error)}`);
      result = 'invalid';
    }
    onPoll?.(result);
    if (signal.aborted) break;
    await Promise.race([clock.sleep(intervalMs), new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))]);
  }
}

/** `oneke vnf sync [--once]` on a VNF VM: one poll, or polls until SIGTERM or SIGINT. */
export async function vnfSyncStep(env: StepEnv, opts: { once?: boolean }): Promise<void> {
  const logger = env.stepLogger('vnf-sync');
  const { config } = await readInputs(env.options, env.secrets);
  const client = oneGateFor(config, logger);
  const role = roleOf(await client.vmShow());
  if (role !== 'vnf') throw new UsageError(`oneke vnf sync runs on VNF VMs; this VM is a ${role}`);
  const deps = { host: env.host, logger, config, client };
  if (opts.once) {
    logger.info(`sync: ${await syncOnce(deps)}`);
    return;
  }
  const stop = new AbortController();
  process.once('SIGTERM', () => stop.abort());
  process.once('SIGINT', () => stop.abort());
  await runSync(deps, realClock, stop.signal);
  logger.info('stopped');
}
