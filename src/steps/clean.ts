// One run of the cleaner: on a READY master, delete the Kubernetes nodes `oneke-ip-*` that no VM of
// the service claims any more (contract section 6). Safe to run on several masters at once: each
// deletes only node objects it listed (UID precondition), and a node another master deleted first
// (404) counts as done.
//
// Exit codes: 0 when the run did its part, including when it deleted nothing because OneGate's
// answer was incomplete or missing (a glitch, logged as a warning; the timer tries again in a few
// minutes and must not flag the unit as failed for it). 1 when the Kubernetes API could not be
// listed or a delete failed. A wrong context throws (exit 2 through the CLI).

import { ExitCode, OneGateError, oneLine } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { OneGateClient } from '../onegate/client.ts';
import type { ServiceRecord } from '../onegate/parse.ts';
import { createKubeApi, type KubeApi } from '../cleaner/kube-api.ts';
import type { StepEnv } from './env.ts';
import { oneGateFor, readInputs } from './inputs.ts';
import { applyPlan } from '../executor/apply.ts';
import type { Host } from '../host/host.ts';
import { cleanerSkip, planClean } from '../roles/kubernetes/clean.ts';

export interface CleanDeps {
  oneGate: Pick<OneGateClient, 'vmShow' | 'serviceShowExtended'>;
  /** Opens the Kubernetes API; called only on a READY master. */
  openKubeApi(): Promise<KubeApi>;
  logger: Logger;
  /** Where the plan of the deletes is applied (the executor needs a host; the deletes need only the API). */
  host: Host;
  /** Prints one line of the run's result (stdout). */
  say(line: string): void;
  /** Prints one line about a failure (stderr). */
  complain(line: string): void;
  dryRun?: boolean;
}

export async function cleanOnce(deps: CleanDeps): Promise<number> {
  const { logger, say } = deps;
  const skip = (line: string, level: 'info' | 'warn' = 'info'): number => {
    logger[level](line);
    say(line);
    return ExitCode.ok;
  };

  let self;
  try {
    self = await deps.oneGate.vmShow();
  } catch (error) {
    if (error instanceof OneGateError) return skip(`nothing deleted: OneGate did not answer about this VM: ${oneLine(error)}`, 'warn');
    throw error;
  }
  const skipped = cleanerSkip(self);
  if (skipped) return skip(skipped);

  const api = await deps.openKubeApi();
  try {
    // Nodes first, the service second: a node in this list belongs to a VM that OneGate already
    // listed when it answers next, so a VM that joins during the run is never taken for a stale one.
    let nodes;
    try {
      nodes = await api.listNodes();
    } catch (error) {
      logger.error({ err: oneLine(error) }, 'cannot list the Kubernetes nodes');
      throw error;
    }

    let service: ServiceRecord | undefined;
    let why = '';
    try {
      service = await deps.oneGate.serviceShowExtended();
    } catch (error) {
      if (!(error instanceof OneGateError)) throw error;
      why = `: ${oneLine(error)}`;
    }
    const { plan, notes } = planClean(self, nodes, service, why);
    for (const note of notes) {
      if (note.node) logger[note.level]({ node: note.node }, note.line);
      else if (note.line === 'no stale node') logger.info({ nodes: nodes.length }, note.line);
      else logger[note.level](note.line);
      say(note.line);
    }

    let failed = 0;
    for (const action of plan.actions) {
      if (action.kind !== 'delete-node') continue;
      const name = action.name;
      if (deps.dryRun) {
        say(`would delete node ${name}`);
        logger.info({ node: name }, 'would delete node (dry run)');
        continue;
      }
      // One plan per node: a failed delete does not keep the others from being tried.
      try {
        const report = await applyPlan({ ...plan, actions: [action] }, { host: deps.host, logger, kubeApi: api });
        const outcome = report.nodes?.[name];
        const line = outcome === 'deleted' ? `deleted node ${name}` : outcome === 'gone' ? `node ${name} was already deleted` : `node ${name} left alone: a new node took its name since it was listed`;
        logger.info({ node: name, outcome }, line);
        say(line);
      } catch (error) {
        failed += 1;
        logger.error({ node: name, err: oneLine(error) }, `cannot delete node ${name}`);
        deps.complain(`cannot delete node ${name}: ${oneLine(error)}`);
      }
    }
    return failed > 0 ? ExitCode.failure : ExitCode.ok;
  } finally {
    await api.close();
  }
}

export interface CleanStepOptions {
  /** Print what would be deleted; delete nothing. */
  dryRun?: boolean;
  /** The Kubernetes API; default https://127.0.0.1:6443, this master's own API server. */
  apiUrl?: string;
}

/**
 * `oneke clean`: one run of the cleaner with this VM's context, logged to
 * /var/log/one-appliance/clean.log. Returns the exit code (see above).
 */
export async function cleanStep(env: StepEnv, print: Pick<CleanDeps, 'say' | 'complain'>, opts: CleanStepOptions = {}): Promise<number> {
  const logger = env.stepLogger('clean');
  const { config } = await readInputs(env.options, env.secrets);
  const client = oneGateFor(config, logger);
  try {
    return await cleanOnce({
      oneGate: client,
      host: env.host,
      openKubeApi: () => createKubeApi({ host: env.host, baseUrl: opts.apiUrl, logger }),
      logger,
      ...print,
      dryRun: opts.dryRun === true,
    });
  } finally {
    await client.close();
  }
}
