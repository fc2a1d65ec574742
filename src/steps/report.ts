import type { Config } from '../config/index.ts';
import type { Logger } from '../log/logger.ts';
import type { OneGateClient } from '../onegate/client.ts';
import { ONEKE_ERROR, ONEKE_STATUS, oneGateSafeValue } from '../onegate/keys.ts';
import type { StepEnv } from './env.ts';
import { oneGateFromContext, readContext, REPORT_RETRY, validateContext } from './inputs.ts';
import type { OutcomeReporter, StepOutcome } from './run-step.ts';

/** Publishes a failed step's reason on the VM, so `onevm show` tells the operator why. */
export function failureReporter(client: OneGateClient): OutcomeReporter {
  return {
    failure: async (reason) => {
      await client.vmUpdate({ [ONEKE_STATUS]: 'failure', [ONEKE_ERROR]: oneGateSafeValue(reason) });
    },
  };
}

/**
 * The context of a boot step, validated. As soon as the context names OneGate, a failure of the step
 * (a bad variable included) is published on the VM as well as logged.
 */
export async function validatedContext(env: StepEnv, logger: Logger, outcome: StepOutcome): Promise<Config> {
  const vars = await readContext(env.options, env.secrets);
  const early = oneGateFromContext(vars, logger, REPORT_RETRY);
  if (early) outcome.reporter = failureReporter(early);
  return validateContext(vars, env.secrets).config;
}
