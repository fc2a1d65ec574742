import { oneLine } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { setStepState, type Step } from '../status/status.ts';
import type { Host } from '../host/host.ts';
import { VERSION } from '../version.ts';

/** Where a step reports its outcome beyond the VM: OneGate, once the step knows how to reach it. */
export interface OutcomeReporter {
  failure(error: string): Promise<void>;
  success?(): Promise<void>;
}

export interface StepOutcome {
  role?: string;
  reporter?: OutcomeReporter;
}

/**
 * Runs one lifecycle step with the contract's status handling: `<step>_started`, then `_success` or
 * `_failure` (with the reason, also published to OneGate when the step got that far). The error is
 * rethrown for the CLI to turn into a line and an exit code.
 */
export async function runStep(
  host: Host,
  logger: Logger,
  step: Step,
  body: (outcome: StepOutcome) => Promise<void>,
): Promise<void> {
  const started = Date.now();
  const outcome: StepOutcome = {};
  await setStepState(host, VERSION, step, 'started', { onDamaged: (message) => logger.warn(message) });
  logger.info({ version: VERSION, root: host.root }, `${step} started`);
  try {
    await body(outcome);
  } catch (error) {
    const reason = oneLine(error);
    logger.error({ code: (error as { code?: string }).code, seconds: (Date.now() - started) / 1000 }, `${step} failed: ${reason}`);
    await setStepState(host, VERSION, step, 'failure', { error: reason, ...(outcome.role ? { role: outcome.role } : {}) });
    if (outcome.reporter) {
      try {
        await outcome.reporter.failure(reason);
      } catch (publishError) {
        logger.warn(`could not publish the failure to OneGate: ${oneLine(publishError)}`);
      }
    }
    throw error;
  }
  await setStepState(host, VERSION, step, 'success', outcome.role ? { role: outcome.role } : {});
  // READY=YES goes out only once the status file says success (contract, section 2).
  try {
    await outcome.reporter?.success?.();
  } catch (error) {
    const reason = `could not report success to OneGate: ${oneLine(error)}`;
    logger.error(reason);
    await setStepState(host, VERSION, step, 'failure', { error: reason });
    throw error;
  }
  logger.info({ seconds: (Date.now() - started) / 1000 }, `${step} succeeded`);
}
