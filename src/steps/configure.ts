import { watchStopSignals } from '../host/signals.ts';
import { roleOf } from '../roles/index.ts';
import { convergeRole, networkFirst, nodeNetworkToKeep } from './converge.ts';
import type { StepEnv } from './env.ts';
import { oneGateFor, REPORT_RETRY } from './inputs.ts';
import { failureReporter, validatedContext } from './report.ts';
import { runStep } from './run-step.ts';

/** `oneke configure`, every boot: read the context, find this VM's role and converge it. */
export async function configureStep(env: StepEnv): Promise<void> {
  const logger = env.stepLogger('configure');
  await runStep(
    env.host,
    logger,
    'configure',
    async (outcome) => {
      const config = await validatedContext(env, logger, outcome);
      for (const name of config.unrecognized) logger.warn(`${name} is not a variable oneke knows (a typo?); it is ignored`);
      const client = oneGateFor(config, logger);
      outcome.reporter = failureReporter(oneGateFor(config, logger, REPORT_RETRY));
      // A node behind the VNF reaches OneGate only through it: route and nameserver come first.
      const first = await networkFirst(env.host, config, logger);
      const self = await client.vmShow();
      const role = roleOf(self);
      outcome.role = role;
      logger.info({ role, vmId: self.id }, `this VM is a ${role}`);
      const keep = role === 'vnf' ? [] : first.length > 0 ? first : await nodeNetworkToKeep(env.host, config);
      await convergeRole(role, { host: env.host, logger, config, client, self, secrets: env.secrets, keep });
    },
    { stop: watchStopSignals() },
  );
}
