import { bootstrapStep } from '../../steps/bootstrap.ts';
import { configureStep } from '../../steps/configure.ts';
import { installStep } from '../../steps/install.ts';
import type { Runtime } from '../runtime.ts';

// The lifecycle commands are their steps (src/steps): the status file, the logs and OneGate
// reports happen there; errors come back here for runCli to print and map to an exit code.

export async function installCommand(runtime: Runtime): Promise<void> {
  await installStep(runtime);
}

export async function configureCommand(runtime: Runtime): Promise<void> {
  await configureStep(runtime);
}

export async function bootstrapCommand(runtime: Runtime): Promise<void> {
  await bootstrapStep(runtime);
}
