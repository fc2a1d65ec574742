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
import { isReady, ONEGATE_K8S_NODE_NAME, READY, ROLE_NAME } from '../onegate/keys.ts';
import type { ServiceRecord } from '../onegate/parse.ts';
import { createKubeApi, type KubeApi } from '../cleaner/kube-api.ts';
import type { StepEnv } from './env.ts';
import { oneGateFor, readInputs } from './inputs.ts';
import { staleNodes } from '../roles/kubernetes/stale-nodes.ts';

export interface CleanDeps {
  oneGate: Pick<OneGateClient, 'vmShow' | 'serviceShowExtended'>;
  /** Opens the Kubernetes API; called only on a READY master. */
  openKubeApi(): Promise<KubeApi>;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Prints one line of the run's result (stdout). */
  say(line: string): void;
  /** Prints one line about a failure (stderr). */
  complain(line: string): void;
  dryRun?: boolean;
}

const MASTER = 'master';

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
  // The timer runs on every VM of the image; only masters clean.
  if (self.userTemplate[ROLE_NAME] !== MASTER) return skip('not a master: nothing to clean');
  if (!isReady(self.userTemplate[READY])) return skip('this master is not READY yet: nothing to clean');

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
    const selfNodeName = self.userTemplate[ONEGATE_K8S_NODE_NAME]?.trim() || undefined;
    const verdict = staleNodes(
      nodes.map((n) => n.name),
      service,
      { selfVmId: self.id, selfNodeName, readyNodes: nodes.filter((n) => n.ready === true).map((n) => n.name) },
    );
    if ('refuse' in verdict) return skip(`nothing deleted: ${verdict.refuse}${why}`, 'warn');

    for (const name of verdict.keptReady) {
      const line = `kept node ${name}: no VM of the service claims it, but it is still Ready`;
      logger.warn({ node: name }, line);
      say(line);
    }
    if (verdict.delete.length === 0) {
      if (verdict.keptReady.length === 0) {
        logger.info({ nodes: nodes.length }, 'no stale node');
        say('no stale node');
      }
      return ExitCode.ok;
    }

    let failed = 0;
    for (const name of verdict.delete) {
      if (deps.dryRun) {
        say(`would delete node ${name}`);
        logger.info({ node: name }, 'would delete node (dry run)');
        continue;
      }
      const uid = nodes.find((n) => n.name === name)?.uid;
      try {
        const outcome = await api.deleteNode(name, uid);
        const line =
          outcome === 'deleted'
            ? `deleted node ${name}`
            : outcome === 'gone'
              ? `node ${name} was already deleted`
              : `node ${name} left alone: a new node took its name since it was listed`;
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
      openKubeApi: () => createKubeApi({ host: env.host, baseUrl: opts.apiUrl, logger }),
      logger,
      ...print,
      dryRun: opts.dryRun === true,
    });
  } finally {
    await client.close();
  }
}
