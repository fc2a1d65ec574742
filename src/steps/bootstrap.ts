import { RuntimeProblem } from '../errors.ts';
import { watchStopSignals } from '../host/signals.ts';
import { ONEKE_ERROR, ONEKE_STATUS, READY, READY_YES } from '../onegate/keys.ts';
import { readStatusWord } from '../status/status.ts';
import type { StepEnv } from './env.ts';
import { oneGateFor, oneGateFromContext, readContext, READY_RETRY, REPORT_RETRY, validateContext } from './inputs.ts';
import { failureReporter } from './report.ts';
import { runStep } from './run-step.ts';

/** `oneke bootstrap`, after configure: close the run and report READY=YES when REPORT_READY=YES. */
export async function bootstrapStep(env: StepEnv): Promise<void> {
  const logger = env.stepLogger('bootstrap');
  const before = await readStatusWord(env.host);
  await runStep(env.host, logger, 'bootstrap', async (outcome) => {
    const vars = await readContext(env.options, env.secrets);
    const early = oneGateFromContext(vars, logger, REPORT_RETRY);
    if (early) outcome.reporter = failureReporter(early);
    const { config } = validateContext(vars, env.secrets);
    const client = oneGateFor(config, logger, READY_RETRY);
    outcome.reporter = {
      ...failureReporter(oneGateFor(config, logger, REPORT_RETRY)),
      success: async () => {
        // The error of an earlier failed run would otherwise stay on the VM.
        const self = await client.vmShow();
        if (self.userTemplate[ONEKE_ERROR] !== undefined) await client.vmDeleteKey(ONEKE_ERROR);
        await client.vmUpdate({
          [ONEKE_STATUS]: 'success',
          ...(config.reportReady ? { [READY]: READY_YES } : {}),
        });
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
  }, { stop: watchStopSignals() });
}
