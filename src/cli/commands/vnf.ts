import { realClock } from '../../executor/wait.ts';
import { UsageError } from '../../errors.ts';
import { roleOf } from '../../roles/index.ts';
import { oneGateFor, readInputs } from '../../steps/inputs.ts';
import { runSync, syncOnce } from '../../roles/vnf/haproxy-sync.ts';
import type { Runtime } from '../runtime.ts';

/** `oneke vnf sync`: keeps HAProxy's backends equal to what the service publishes. */
export async function vnfSyncCommand(runtime: Runtime, opts: { once?: boolean }): Promise<void> {
  const logger = runtime.stepLogger('vnf-sync');
  const { config } = await readInputs(runtime.options, runtime.secrets);
  const client = oneGateFor(config, logger);
  const role = roleOf(await client.vmShow());
  if (role !== 'vnf') throw new UsageError(`oneke vnf sync runs on VNF VMs; this VM is a ${role}`);
  const deps = { host: runtime.host, logger, config, client };
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
