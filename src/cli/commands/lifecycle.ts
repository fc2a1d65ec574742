import { RuntimeProblem } from '../../errors.ts';
import { ONEKE_ERROR, ONEKE_STATUS, READY, READY_YES, oneGateSafeValue } from '../../onegate/keys.ts';
import type { OneGateClient } from '../../onegate/client.ts';
import { roleOf } from '../../roles/index.ts';
import { convergeRole, networkFirst, nodeNetworkToKeep } from '../../steps/converge.ts';
import { readStatusWord } from '../../status/status.ts';
import { runInstall } from '../../steps/install.ts';
import { oneGateFor, oneGateFromContext, readContext, READY_RETRY, REPORT_RETRY, validateContext } from '../../steps/inputs.ts';
import { watchStopSignals } from '../../host/signals.ts';
import { runStep, type OutcomeReporter } from '../../steps/run-step.ts';
import type { Runtime } from '../runtime.ts';

/** Publishes a failed step's reason on the VM, so `onevm show` tells the operator why. */
function failureReporter(client: OneGateClient): OutcomeReporter {
  return {
    failure: async (reason) => {
      await client.vmUpdate({ [ONEKE_STATUS]: 'failure', [ONEKE_ERROR]: oneGateSafeValue(reason) });
    },
  };
}

export async function installCommand(runtime: Runtime): Promise<void> {
  const logger = runtime.stepLogger('install');
  await runStep(runtime.host, logger, 'install', async () => {
    await runInstall(runtime, logger);
  }, { stop: watchStopSignals() });
}

export async function configureCommand(runtime: Runtime): Promise<void> {
  const logger = runtime.stepLogger('configure');
  await runStep(runtime.host, logger, 'configure', async (outcome) => {
    const vars = await readContext(runtime.options, runtime.secrets);
    const early = oneGateFromContext(vars, logger, REPORT_RETRY);
    if (early) outcome.reporter = failureReporter(early);
    const { config } = validateContext(vars, runtime.secrets);
    for (const name of config.unrecognized) logger.warn(`${name} is not a variable oneke knows (a typo?); it is ignored`);
    const client = oneGateFor(config, logger);
    outcome.reporter = failureReporter(oneGateFor(config, logger, REPORT_RETRY));
    // A node behind the VNF reaches OneGate only through it: route and nameserver come first.
    const first = await networkFirst(runtime.host, config, logger);
    const self = await client.vmShow();
    const role = roleOf(self);
    outcome.role = role;
    logger.info({ role, vmId: self.id }, `this VM is a ${role}`);
    const keep = role === 'vnf' ? [] : first.length > 0 ? first : await nodeNetworkToKeep(runtime.host, config);
    await convergeRole(role, { host: runtime.host, logger, config, client, self, secrets: runtime.secrets, keep });
  }, { stop: watchStopSignals() });
}

export async function bootstrapCommand(runtime: Runtime): Promise<void> {
  const logger = runtime.stepLogger('bootstrap');
  const before = await readStatusWord(runtime.host);
  await runStep(runtime.host, logger, 'bootstrap', async (outcome) => {
    const vars = await readContext(runtime.options, runtime.secrets);
    const early = oneGateFromContext(vars, logger, REPORT_RETRY);
    if (early) outcome.reporter = failureReporter(early);
    const { config } = validateContext(vars, runtime.secrets);
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
