import { oneLine, StoppedBySignal } from '../errors.ts';
import { realClock, type Clock } from '../host/clock.ts';
import type { StopWatch } from '../host/signals.ts';
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
export async function runStep(host: Host, logger: Logger, step: Step, body: (outcome: StepOutcome) => Promise<void>, options: { stop?: StopWatch; clock?: Pick<Clock, 'now'> } = {}): Promise<void> {
  try {
    await runStepWatched(host, logger, step, body, options.stop, options.clock ?? realClock);
  } finally {
    options.stop?.dispose();
  }
}

async function runStepWatched(host: Host, logger: Logger, step: Step, body: (outcome: StepOutcome) => Promise<void>, stop: StopWatch | undefined, clock: Pick<Clock, 'now'>): Promise<void> {
  const started = clock.now();
  const outcome: StepOutcome = {};
  await setStepState(host, VERSION, step, 'started', { clock, onDamaged: (message) => logger.warn(message) });
  logger.info({ version: VERSION, root: host.root }, `${step} started`);
  try {
    const work = body(outcome);
    if (stop) {
      // A signal ends the wait for the body (which cannot be cancelled); main exits once the
      // failure is recorded, so whatever the body still does is cut short there.
      work.catch(() => undefined);
      await Promise.race([
        work,
        stop.stopped.then((signal) => {
          throw new StoppedBySignal(signal);
        }),
      ]);
    } else {
      await work;
    }
  } catch (error) {
    const reason = oneLine(error);
    logger.error({ code: (error as { code?: string }).code, seconds: (clock.now() - started) / 1000 }, `${step} failed: ${reason}`);
    await setStepState(host, VERSION, step, 'failure', { clock, error: reason, ...(outcome.role ? { role: outcome.role } : {}) });
    if (outcome.reporter) {
      try {
        await outcome.reporter.failure(reason);
      } catch (publishError) {
        logger.warn(`could not publish the failure to OneGate: ${oneLine(publishError)}`);
      }
    }
    throw error;
  }
  await setStepState(host, VERSION, step, 'success', { clock, ...(outcome.role ? { role: outcome.role } : {}) });
  // READY=YES goes out only once the status file says success (contract, section 2).
  try {
    await outcome.reporter?.success?.();
  } catch (error) {
    const reason = `could not report success to OneGate: ${oneLine(error)}`;
    logger.error(reason);
    await setStepState(host, VERSION, step, 'failure', { clock, error: reason });
    throw error;
  }
  logger.info({ seconds: (clock.now() - started) / 1000 }, `${step} succeeded`);
}
