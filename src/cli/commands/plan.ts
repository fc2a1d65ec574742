import { planToJson, planToText } from '../../plan/format.ts';
import { observeCluster, planRole, roleOf } from '../../roles/index.ts';
import { oneGateFor, readInputs } from '../../steps/inputs.ts';
import { snapshotClient } from '../../onegate/snapshot.ts';
import type { Output } from '../program.ts';
import type { Runtime } from '../runtime.ts';

/** Prints the plan of this VM's role as things stand now. Reads OneGate; changes nothing. */
export async function planCommand(
  runtime: Runtime,
  output: Output,
  opts: { json?: boolean; showSecrets?: boolean; onegateSnapshot?: string },
): Promise<void> {
  const logger = runtime.consoleLogger();
  const { config } = await readInputs(runtime.options, runtime.secrets);
  const client = opts.onegateSnapshot ? await snapshotClient(opts.onegateSnapshot, config.onegate.vmId) : oneGateFor(config, logger);
  const self = await client.vmShow();
  const role = roleOf(self);
  const cluster = await observeCluster(client, self.id);
  const plan = await planRole(role, { host: runtime.host, logger, config, cluster });
  output.out(opts.json ? `${JSON.stringify(planToJson(plan, opts.showSecrets), null, 2)}\n` : planToText(plan, opts.showSecrets));
}
