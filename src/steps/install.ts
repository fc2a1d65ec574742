import { secretValues, type Config } from '../config/index.ts';
import type { Logger } from '../log/logger.ts';
import { watchStopSignals } from '../host/signals.ts';
import { configFromEnvironment, install, installSettingsFrom, settleInstall, type InstallSettings } from '../install/index.ts';
import type { Plan } from '../plan/plan.ts';
import type { StepEnv } from './env.ts';
import { readInputs } from './inputs.ts';
import { runStep } from './run-step.ts';

/**
 * The image-build step: OS packages, RKE2, Helm, add-on charts and their HelmChart manifests (see
 * src/install/).
 *
 * Install runs inside Packer, where the VM has no OpenNebula context: loadContext would fail there
 * (no context.sh.local). So the versions and ONE_SERVICE_AIRGAPPED come from the environment, as the
 * reference reads them (configFromEnvironment: INSTALL_VARIABLES over the defaults). Only with an
 * explicit `--context FILE` are they read from that file instead.
 */
export async function runInstall(runtime: StepEnv, logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await install({ host: runtime.host, logger, ...(await installInputs(runtime, env)) });
}

/** `oneke plan --step install`: the plan install would apply, with every artifact's URL and trusted SHA-256. Changes nothing. */
export async function planInstallStep(runtime: StepEnv, env: NodeJS.ProcessEnv = process.env): Promise<Plan> {
  return (await settleInstall({ host: runtime.host, ...(await installInputs(runtime, env)) })).plan;
}

async function installInputs(runtime: StepEnv, env: NodeJS.ProcessEnv): Promise<{ config: Config; settings: InstallSettings }> {
  const settings = installSettingsFrom(env);
  const config = runtime.options.context === undefined ? configFromEnvironment(env) : (await readInputs(runtime.options, runtime.secrets)).config;
  runtime.secrets.add(...secretValues(config));
  return { config, settings };
}

/** `oneke install`: runInstall inside the step's status handling, logged to install.log. */
export async function installStep(env: StepEnv): Promise<void> {
  const logger = env.stepLogger('install');
  await runStep(
    env.host,
    logger,
    'install',
    async () => {
      await runInstall(env, logger);
    },
    { stop: watchStopSignals() },
  );
}
