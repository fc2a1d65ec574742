import { watchStopSignals } from '../host/signals.ts';
import { roleOf } from '../roles/index.ts';
import { convergeRole, networkFirst, nodeNetworkToKeep } from './converge.ts';
import type { StepEnv } from './env.ts';
import { oneGateFor, oneGateFromContext, readContext, REPORT_RETRY, validateContext } from './inputs.ts';
import { failureReporter } from './report.ts';
import { runStep } from './run-step.ts';

/** `oneke configure`, every boot: read the context, find this VM's role and converge it. */
export async function configureStep(env: StepEnv): Promise<void> {
  const logger = env.stepLogger('configure');
  await runStep(
    env.host,
    logger,
    'configure',
    async (outcome) => {
      const vars = await readContext(env.options, env.secrets);
      const early = oneGateFromContext(vars, logger, REPORT_RETRY);
      if (early) outcome.reporter = failureReporter(early);
      const { config } = validateContext(vars, env.secrets);
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
