import { RuntimeProblem } from '../errors.ts';
import { watchStopSignals } from '../host/signals.ts';
import { applyPlan } from '../executor/apply.ts';
import { bootstrapActions } from '../roles/bootstrap.ts';
import { isRoleName, type RoleName } from '../plan/plan.ts';
import { readStatusWord } from '../status/status.ts';
import type { StepEnv } from './env.ts';
import { oneGateFor, READY_RETRY, REPORT_RETRY } from './inputs.ts';
import { failureReporter, validatedContext } from './report.ts';
import { runStep } from './run-step.ts';

/** `oneke bootstrap`, after configure: close the run and report READY=YES when REPORT_READY=YES. */
export async function bootstrapStep(env: StepEnv): Promise<void> {
  const logger = env.stepLogger('bootstrap');
  const before = await readStatusWord(env.host);
  await runStep(
    env.host,
    logger,
    'bootstrap',
    async (outcome) => {
      const config = await validatedContext(env, logger, outcome);
      const client = oneGateFor(config, logger, READY_RETRY);
      outcome.reporter = {
        ...failureReporter(oneGateFor(config, logger, REPORT_RETRY)),
        success: async () => {
          const self = await client.vmShow();
          const actions = bootstrapActions(config, self);
          await applyPlan(
            { role: isRoleName(self.userTemplate.ROLE_NAME ?? '') ? (self.userTemplate.ROLE_NAME as RoleName) : 'unknown', decision: { kind: 'report', reason: 'bootstrap succeeded' }, actions },
            { host: env.host, logger, onegate: client },
          );
          if (config.reportReady) logger.info('reported READY=YES to OneGate');
        },
      };
      if (before !== 'configure_success') {
        throw new RuntimeProblem(
          'ONEKE_NOT_CONFIGURED',
          `configure has not succeeded (status: ${before ?? 'none'}); bootstrap runs only after it`,
          'see /var/log/one-appliance/configure.log or run `oneke status`',
        );
      }
    },
    { stop: watchStopSignals() },
  );
}
